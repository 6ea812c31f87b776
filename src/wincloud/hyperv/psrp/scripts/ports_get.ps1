# wincloud:ports_get  Get-VMNetworkAdapter; Get-VMNetworkAdapterVlan (one port's settings)
param([string]$VMName, [string]$NicName)
# @common
$vm = Get-WincloudVM $VMName
$nic = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $NicName })
if ($nic.Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "$VMName has no network adapter named '$NicName'" $NicName
}
$vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $nic[0]
$bw = $nic[0].BandwidthSetting
$mode = ([string]$vlan.OperationMode).ToLowerInvariant()
[pscustomobject]@{
    VMName = [string]$vm.Name
    NicName = [string]$nic[0].Name
    SwitchName = $nic[0].SwitchName
    VlanMode = $mode
    AccessVlanId = $(if ($mode -eq 'access') { [int]$vlan.AccessVlanId } else { $null })
    NativeVlanId = $(if ($mode -eq 'trunk') { [int]$vlan.NativeVlanId } else { $null })
    AllowedVlanIds = [string[]]@($(if ($mode -eq 'trunk') { $vlan.AllowedVlanIdList | ForEach-Object { [string]$_ } }))
    MacAddressSpoofing = ([string]$nic[0].MacAddressSpoofing -eq 'On')
    MaximumBandwidth = $(if ($bw) { [long]$bw.MaximumBandwidth } else { [long]0 })
    MinimumBandwidthAbsolute = $(if ($bw) { [long]$bw.MinimumBandwidthAbsolute } else { [long]0 })
}
