# wincloud:list_nics  Get-VMNetworkAdapter; Get-VMNetworkAdapterVlan
param([string]$VMName)
# @common
$vm = Get-WincloudVM $VMName
foreach ($nic in @(Get-VMNetworkAdapter -VM $vm)) { Out-WincloudNic $nic }
