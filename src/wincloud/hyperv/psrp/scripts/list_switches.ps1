# wincloud:list_switches  Get-VMSwitch; Get-VMSwitchExtension
param()
# @common
Get-VMSwitch | Sort-Object Name | ForEach-Object {
    [pscustomobject]@{
        Name = [string]$_.Name
        SwitchType = [string]$_.SwitchType
        Extensions = [string[]]@(Get-VMSwitchExtension -VMSwitch $_ |
            Where-Object { $_.Enabled } | ForEach-Object { $_.Name })
    }
}
