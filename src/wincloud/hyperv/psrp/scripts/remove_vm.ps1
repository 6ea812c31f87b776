# wincloud:remove_vm  Remove-VM -Force
param([string]$Name)
# @common
$vm = Get-WincloudVM $Name
if ([string]$vm.State -ne 'Off') {
    Stop-Wincloud 'WincloudVmState' 'InvalidOperation' "the VM is $([string]$vm.State)" $Name
}
Remove-VM -VM $vm -Force
