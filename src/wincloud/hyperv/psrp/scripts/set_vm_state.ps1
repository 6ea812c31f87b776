# wincloud:set_vm_state  Start-VM | Stop-VM | Save-VM | Suspend-VM | Resume-VM | Restart-VM
param([string]$Name, [string]$Action, [int]$TimeoutSeconds = 120)
# @common
$vm = Get-WincloudVM $Name
$state = [string]$vm.State
function Deny() { Stop-Wincloud 'WincloudVmState' 'InvalidOperation' "the VM is $state" $Name }
switch ($Action) {
    'start' {
        if ($state -eq 'Running') { break }
        if ($state -ne 'Off' -and $state -ne 'Saved') { Deny }
        $freeMB = [long](Get-CimInstance -ClassName Win32_OperatingSystem).FreePhysicalMemory / 1024
        if ($vm.MemoryStartup / 1MB -gt $freeMB) {
            Stop-Wincloud 'WincloudNoResources' 'LimitsExceeded' `
                "not enough memory: $($vm.MemoryStartup / 1MB) MB needed, $freeMB MB free" $Name
        }
        Start-VM -VM $vm
    }
    'stop' {
        if ($state -eq 'Off') { break }
        if ($state -eq 'Saved') { Remove-VMSavedState -VM $vm; break }
        if ($state -ne 'Running' -and $state -ne 'Paused') { Deny }
        Stop-VM -VM $vm -TurnOff -Force
    }
    'shutdown' {
        if ($state -eq 'Off') { break }
        if ($state -ne 'Running') { Deny }
        $job = Stop-VM -VM $vm -Force -AsJob
        if (-not (Wait-Job -Job $job -Timeout $TimeoutSeconds)) {
            Stop-Job -Job $job
            Remove-Job -Job $job -Force
            Stop-Wincloud 'WincloudTimeout' 'OperationTimeout' `
                "the guest did not shut down in $TimeoutSeconds s" $Name
        }
        Receive-Job -Job $job | Out-Null
        Remove-Job -Job $job
    }
    'save' { if ($state -ne 'Running' -and $state -ne 'Paused') { Deny }; Save-VM -VM $vm }
    'pause' { if ($state -ne 'Running') { Deny }; Suspend-VM -VM $vm }
    'resume' { if ($state -ne 'Paused') { Deny }; Resume-VM -VM $vm }
    'reset' { if ($state -ne 'Running') { Deny }; Restart-VM -VM $vm -Force }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
Out-WincloudVM (Get-VM -Id $vm.Id)
