# wincloud:set_com_pipe  Set-VMComPort -Number -Path \\.\pipe\<name>
param([string]$VMName, [int]$Number, [string]$Pipe)
# @common
$vm = Get-WincloudVM $VMName
if ([string]$vm.State -ne 'Off') {
    Stop-Wincloud 'WincloudVmState' 'InvalidOperation' "the VM is $([string]$vm.State)" $VMName
}
Set-VMComPort -VM $vm -Number $Number -Path ('\\.\pipe\' + $Pipe)
