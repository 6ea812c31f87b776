# wincloud:ports_set  Set-VMNetworkAdapterVlan | Set-VMNetworkAdapter (-MacAddressSpoofing | -MaximumBandwidth -MinimumBandwidthAbsolute)
param([string]$VMName, [string]$NicName, [string]$Action, [string]$VlanMode = 'untagged',
    [int]$VlanId = 0, [int]$NativeVlanId = 0, [string]$AllowedVlanIdList = '',
    [bool]$MacAddressSpoofing = $false, [long]$MaximumBandwidth = 0, [long]$MinimumBandwidthAbsolute = 0)
# @common
$vm = Get-WincloudVM $VMName
$nic = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $NicName })
if ($nic.Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "$VMName has no network adapter named '$NicName'" $NicName
}
switch ($Action) {
    'vlan' {
        switch ($VlanMode) {
            'access' { Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0] -Access -VlanId $VlanId }
            'trunk' {
                Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0] -Trunk -NativeVlanId $NativeVlanId `
                    -AllowedVlanIdList $AllowedVlanIdList
            }
            default { Set-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0] -Untagged }
        }
    }
    'security' {
        $state = $(if ($MacAddressSpoofing) { 'On' } else { 'Off' })
        Set-VMNetworkAdapter -VMNetworkAdapter $nic[0] -MacAddressSpoofing $state
    }
    'bandwidth' {
        # an absolute minimum is refused on a switch not created in Absolute mode: send it only
        # when there is one to set or to clear
        $splat = @{ VMNetworkAdapter = $nic[0]; MaximumBandwidth = $MaximumBandwidth }
        $bw = $nic[0].BandwidthSetting
        if ($MinimumBandwidthAbsolute -gt 0 -or ($bw -and $bw.MinimumBandwidthAbsolute -gt 0)) {
            $splat.MinimumBandwidthAbsolute = $MinimumBandwidthAbsolute
        }
        Set-VMNetworkAdapter @splat
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
