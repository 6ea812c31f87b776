# wincloud:checkpoint  Checkpoint-VM | Remove-VMSnapshot | Get-VMSnapshot | Select-Object Name, VMName, CreationTime, ParentSnapshotName, DiskPaths
param([string]$VMName, [string]$Action, [string]$Name = '', [int]$TimeoutSeconds = 600)
# @common
$vm = Get-WincloudVM $VMName
$existing = @(Get-VMSnapshot -VM $vm | Where-Object { $_.Name -eq $Name })
switch ($Action) {
    'create' {
        if ($existing.Count -gt 0) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "$VMName has a checkpoint named '$Name'" $Name
        }
        Out-WincloudCheckpoint (Checkpoint-VM -VM $vm -SnapshotName $Name -Passthru)
    }
    'remove' {
        if ($existing.Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "$VMName has no checkpoint named '$Name'" $Name
        }
        Remove-VMSnapshot -VMSnapshot $existing[0]
        # The merge runs in the background; wait (bounded) until the VM no longer reports it.
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline -and [string](Get-VM -Id $vm.Id).Status -match 'Merg') {
            Start-Sleep -Milliseconds 500
        }
    }
    'list' {
        foreach ($s in @(Get-VMSnapshot -VM $vm | Sort-Object CreationTime)) { Out-WincloudCheckpoint $s }
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
