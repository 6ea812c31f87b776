# wincloud:nic_port  Connect-VMNetworkAdapter | Disconnect-VMNetworkAdapter | Remove-VMNetworkAdapter | Set-VMNetworkAdapterVlan
param([string]$VMName, [string]$NicName, [string]$Action, [string]$Switch = '', [int]$VlanId = 0)
# @common
$vm = Get-WincloudVM $VMName
$nic = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $NicName })
if ($nic.Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "$VMName has no network adapter named '$NicName'" $NicName
}
switch ($Action) {
    'connect' {
        if (@(Get-VMSwitch | Where-Object { $_.Name -eq $Switch }).Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no virtual switch named '$Switch'" $Switch
        }
        Connect-VMNetworkAdapter -VMNetworkAdapter $nic[0] -SwitchName $Switch
    }
    'disconnect' { Disconnect-VMNetworkAdapter -VMNetworkAdapter $nic[0] }
    'remove' { Remove-VMNetworkAdapter -VMNetworkAdapter $nic[0] }
    'vlan' {
        if ($VlanId -eq 0) { Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0] -Untagged }
        else { Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0] -Access -VlanId $VlanId }
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
