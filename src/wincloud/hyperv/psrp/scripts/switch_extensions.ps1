# wincloud:switch_extensions  Get-VMSwitchExtension | Select-Object Name, ExtensionType, Enabled, Vendor
param([string]$Switch)
# @common
$sw = @(Get-VMSwitch | Where-Object { $_.Name -eq $Switch })
if ($sw.Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no virtual switch named '$Switch'" $Switch
}
Get-VMSwitchExtension -VMSwitch $sw[0] | ForEach-Object {
    [pscustomobject]@{
        SwitchName = [string]$sw[0].Name
        Name = [string]$_.Name
        ExtensionType = [string]$_.ExtensionType
        Enabled = [bool]$_.Enabled
        Vendor = [string]$_.Vendor
    }
}
