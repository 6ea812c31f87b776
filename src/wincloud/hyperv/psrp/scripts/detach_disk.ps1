# wincloud:detach_disk  Remove-VMHardDiskDrive | Remove-VMDvdDrive
param([string]$VMName, [string]$Path)
# @common
$vm = Get-WincloudVM $VMName
$hdd = @(Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path -eq $Path })
$dvd = @(Get-VMDvdDrive -VM $vm | Where-Object { $_.Path -eq $Path })
if ($hdd.Count -gt 0) { Remove-VMHardDiskDrive -VMHardDiskDrive $hdd[0] }
elseif ($dvd.Count -gt 0) { Remove-VMDvdDrive -VMDvdDrive $dvd[0] }
else { Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no drive of $VMName holds $Path" $Path }
