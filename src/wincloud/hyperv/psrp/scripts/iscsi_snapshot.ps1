# wincloud:iscsi_snapshot  Checkpoint-IscsiVirtualDisk, Get-/Export-/Remove-IscsiVirtualDiskSnapshot
param([string]$Action, [string]$Path = '', [string]$Description = '', [string]$SnapshotId = '',
      [string]$Destination = '')
# @common
function Out-WincloudIscsiSnapshot($Snapshot) {
    $Snapshot | ForEach-Object {
        [pscustomobject]@{
            SnapshotId   = [string]$_.SnapshotId
            OriginalPath = [string]$_.OriginalPath
            Description  = [string]$_.Description
            TimeStamp    = ([datetime]$_.TimeStamp).ToUniversalTime()
        }
    }
}
function Find-WincloudIscsiSnapshot([string]$Id) {
    @(Get-IscsiVirtualDiskSnapshot | Where-Object { $_.SnapshotId -eq $Id })
}
switch ($Action) {
    'checkpoint' {
        if (@(Get-IscsiVirtualDisk | Where-Object { $_.Path -eq $Path }).Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no iSCSI virtual disk: $Path" $Path
        }
        Out-WincloudIscsiSnapshot (Checkpoint-IscsiVirtualDisk -OriginalPath $Path -Description $Description)
    }
    'list' {
        $all = @(Get-IscsiVirtualDiskSnapshot)
        if ($Path) { $all = @($all | Where-Object { $_.OriginalPath -eq $Path }) }
        Out-WincloudIscsiSnapshot ($all | Sort-Object TimeStamp)
    }
    'copy' {
        $found = Find-WincloudIscsiSnapshot $SnapshotId
        if ($found.Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no snapshot with id $SnapshotId" $SnapshotId
        }
        if (Test-Path -LiteralPath $Destination) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "the destination exists: $Destination" $Destination
        }
        Assert-WincloudParent $Destination
        # the exported snapshot is a read-only virtual disk on the shadow copy; copy its file out
        $exported = Export-IscsiVirtualDiskSnapshot -SnapshotId $SnapshotId
        try {
            Copy-Item -LiteralPath $exported.Path -Destination $Destination
        } finally {
            Remove-IscsiVirtualDisk -Path $exported.Path
        }
    }
    'remove' {
        if ((Find-WincloudIscsiSnapshot $SnapshotId).Count -gt 0) { Remove-IscsiVirtualDiskSnapshot -SnapshotId $SnapshotId }
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
