# wincloud:list_vms  Get-VM | Select-Object VMName, VMId, State, Generation, ProcessorCount, MemoryStartup, Uptime, Notes, SecureBoot
param([string]$Name = '')
# @common
$vms = @(Get-VM | Sort-Object Name)
if ($Name) { $vms = @($vms | Where-Object { $_.Name -eq $Name }) }
foreach ($vm in $vms) { Out-WincloudVM $vm }
