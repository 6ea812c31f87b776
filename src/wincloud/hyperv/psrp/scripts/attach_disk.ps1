# wincloud:attach_disk  Add-VMHardDiskDrive | Add-VMDvdDrive (Add-VMScsiController when none)
param([string]$VMName, [string]$Path, [string]$Kind, [string]$Controller)
# @common
$vm = Get-WincloudVM $VMName
Assert-WincloudFile $Path
$full = (Resolve-Path -LiteralPath $Path).ProviderPath
$type = if ($Controller -eq 'ide') { 'IDE' } else { 'SCSI' }
if ($type -eq 'IDE' -and $vm.Generation -eq 2) {
    Stop-Wincloud 'WincloudFailed' 'InvalidOperation' 'generation 2 VMs have no IDE controller' $VMName
}
if ($type -eq 'SCSI' -and $Kind -eq 'dvd' -and $vm.Generation -eq 1) {
    Stop-Wincloud 'WincloudFailed' 'InvalidOperation' 'generation 1 VMs take DVD drives on IDE' $VMName
}
if ($type -eq 'IDE' -and [string]$vm.State -ne 'Off') {
    Stop-Wincloud 'WincloudVmState' 'InvalidOperation' "the VM is $([string]$vm.State)" $VMName
}
$holders = @(Get-VM | ForEach-Object { Get-VMHardDiskDrive -VM $_; Get-VMDvdDrive -VM $_ } |
    Where-Object { $_.Path -eq $full })
if ($holders.Count -gt 0) {
    Stop-Wincloud 'WincloudInUse' 'ResourceBusy' "the file is already attached to $($holders[0].VMName)" $Path
}
if ($type -eq 'SCSI' -and @(Get-VMScsiController -VM $vm).Count -eq 0) { Add-VMScsiController -VM $vm }
if ($Kind -eq 'dvd') {
    $number = if ($type -eq 'IDE') { 1 } else { 0 }
    $drive = Add-VMDvdDrive -VM $vm -ControllerNumber $number -Path $full -Passthru
} else {
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType $type -Path $full -Passthru
}
Out-WincloudDrive $drive $Kind
