# wincloud:list_disks  Get-VMHardDiskDrive; Get-VMDvdDrive | Select-Object Path, ControllerType, ControllerNumber, ControllerLocation
param([string]$VMName)
# @common
$vm = Get-WincloudVM $VMName
foreach ($d in @(Get-VMHardDiskDrive -VM $vm)) { if ($d.Path) { Out-WincloudDrive $d 'hdd' } }
foreach ($d in @(Get-VMDvdDrive -VM $vm)) { if ($d.Path) { Out-WincloudDrive $d 'dvd' } }
