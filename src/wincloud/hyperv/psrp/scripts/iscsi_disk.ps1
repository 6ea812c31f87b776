# wincloud:iscsi_disk  New-/Import-/Get-/Resize-/Remove-IscsiVirtualDisk
param([string]$Action, [string]$Path = '', [uint64]$SizeBytes = 0, [bool]$Fixed = $false,
      [string]$Description = '')
# @common
function Out-WincloudIscsiDisk($Disk) {
    $Disk | ForEach-Object {
        [pscustomobject]@{
            Path        = [string]$_.Path
            Size        = [uint64]$_.Size
            DiskType    = [string]$_.DiskType
            Description = [string]$_.Description
            Enabled     = [bool]$_.Enabled
            ParentPath  = [string]$_.ParentPath
            Status      = [string]$_.Status
        }
    }
}
function Find-WincloudIscsiDisk([string]$Path) {
    # exact path match (-Path would take wildcards)
    @(Get-IscsiVirtualDisk | Where-Object { $_.Path -eq $Path })
}
switch ($Action) {
    'new' {
        if (Test-Path -LiteralPath $Path) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "the file exists: $Path" $Path
        }
        Assert-WincloudParent $Path
        if ($Fixed) {
            $disk = New-IscsiVirtualDisk -Path $Path -SizeBytes $SizeBytes -UseFixed -Description $Description
        } else {
            $disk = New-IscsiVirtualDisk -Path $Path -SizeBytes $SizeBytes -Description $Description
        }
        Out-WincloudIscsiDisk $disk
    }
    'import' {
        Assert-WincloudFile $Path
        if ((Find-WincloudIscsiDisk $Path).Count -gt 0) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "already a virtual disk: $Path" $Path
        }
        Out-WincloudIscsiDisk (Import-IscsiVirtualDisk -Path $Path -Description $Description)
    }
    'get' { Out-WincloudIscsiDisk (Find-WincloudIscsiDisk $Path) }
    'list' { Out-WincloudIscsiDisk (Get-IscsiVirtualDisk | Sort-Object Path) }
    'resize' {
        $found = Find-WincloudIscsiDisk $Path
        if ($found.Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no iSCSI virtual disk: $Path" $Path
        }
        if ($SizeBytes -lt $found[0].Size) {
            Stop-Wincloud 'WincloudFailed' 'InvalidArgument' "shrinking is refused ($($found[0].Size) -> $SizeBytes bytes)" $Path
        }
        if ($SizeBytes -gt $found[0].Size) { Resize-IscsiVirtualDisk -Path $Path -SizeBytes $SizeBytes }
        Out-WincloudIscsiDisk (Find-WincloudIscsiDisk $Path)
    }
    'remove' {
        if ((Find-WincloudIscsiDisk $Path).Count -eq 0) { return }
        $mapped = @(Get-IscsiServerTarget | Where-Object { @($_.LunMappings | Where-Object { $_.Path -eq $Path }).Count -gt 0 })
        if ($mapped.Count -gt 0) {
            Stop-Wincloud 'WincloudInUse' 'ResourceBusy' "target $($mapped[0].TargetName) maps the disk" $Path
        }
        Remove-IscsiVirtualDisk -Path $Path
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
