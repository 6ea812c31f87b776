# wincloud:add_nic  Add-VMNetworkAdapter -Passthru | Select-Object Name, MacAddress, SwitchName, VMName, AccessVlanId
param([string]$VMName, [string]$NicName, [string]$Mac = '', [string]$Switch = '')
# @common
$vm = Get-WincloudVM $VMName
if (@(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $NicName }).Count -gt 0) {
    Stop-Wincloud 'WincloudExists' 'ResourceExists' "$VMName has a network adapter named '$NicName'" $NicName
}
if ($Switch -and @(Get-VMSwitch | Where-Object { $_.Name -eq $Switch }).Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no virtual switch named '$Switch'" $Switch
}
$splat = @{ VM = $vm; Name = $NicName; Passthru = $true }
if ($Mac) { $splat.StaticMacAddress = $Mac }
if ($Switch) { $splat.SwitchName = $Switch }
Out-WincloudNic (Add-VMNetworkAdapter @splat)
