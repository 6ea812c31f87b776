# wincloud:iscsi_initiator  Connect-/Disconnect-IscsiTarget, Get-IscsiSession, passthrough Add-/Remove-VMHardDiskDrive -DiskNumber
param([string]$Action, [string]$PortalAddress = '', [int]$PortalPort = 3260, [string]$TargetIqn = '',
      [int]$Lun = 0, [string]$ChapUser = '', [string]$ChapSecret = '', [string]$VMName = '',
      [int]$DiskNumber = -1, [int]$WaitSeconds = 30)
# @common
function Get-WincloudLun($Disk) {
    # MSFT_Disk.Location of a SCSI-attached disk reads "... : Target 0 : LUN 1" (unverified)
    if ([string]$Disk.Location -match 'LUN (\d+)') { [int]$Matches[1] } else { -1 }
}
function Out-WincloudSession($Session) {
    $Session | ForEach-Object {
        $connection = Get-IscsiConnection -IscsiSession $_ | Select-Object -First 1
        [pscustomobject]@{
            TargetIqn = [string]$_.TargetNodeAddress
            Portal    = "$($connection.TargetAddress):$($connection.TargetPortNumber)"
            Disks     = [string[]]@(Get-Disk -IscsiSession $_ -ErrorAction SilentlyContinue | ForEach-Object { "$(Get-WincloudLun $_)|$($_.Number)" })
        }
    }
}
function Find-WincloudSession([string]$Iqn) {
    @(Get-IscsiSession -ErrorAction SilentlyContinue | Where-Object { $_.TargetNodeAddress -eq $Iqn -and $_.IsConnected })
}
switch ($Action) {
    'name' {
        $port = @(Get-InitiatorPort | Where-Object { [string]$_.ConnectionType -eq 'iSCSI' }) | Select-Object -First 1
        [pscustomobject]@{ NodeAddress = [string]$port.NodeAddress }
    }
    'login' {
        if ((Find-WincloudSession $TargetIqn).Count -eq 0) {
            $null = New-IscsiTargetPortal -TargetPortalAddress $PortalAddress -TargetPortalPortNumber $PortalPort
            if ($ChapSecret) {
                $null = Connect-IscsiTarget -NodeAddress $TargetIqn -TargetPortalAddress $PortalAddress `
                    -TargetPortalPortNumber $PortalPort -IsPersistent $true -AuthenticationType ONEWAYCHAP `
                    -ChapUsername $ChapUser -ChapSecret $ChapSecret
            } else {
                $null = Connect-IscsiTarget -NodeAddress $TargetIqn -TargetPortalAddress $PortalAddress `
                    -TargetPortalPortNumber $PortalPort -IsPersistent $true
            }
        }
        $deadline = (Get-Date).AddSeconds($WaitSeconds)
        do {  # the disk shows up a moment after the login
            $disk = @(Find-WincloudSession $TargetIqn | ForEach-Object { Get-Disk -IscsiSession $_ -ErrorAction SilentlyContinue } |
                Where-Object { (Get-WincloudLun $_) -eq $Lun }) | Select-Object -First 1
            if ($disk) { break }
            Start-Sleep -Milliseconds 500
        } while ((Get-Date) -lt $deadline)
        if (-not $disk) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "the target presents no LUN $Lun" $TargetIqn
        }
        if (-not $disk.IsOffline) { Set-Disk -Number $disk.Number -IsOffline $true }
        [pscustomobject]@{ DiskNumber = [int]$disk.Number }
    }
    'logout' {
        if ((Find-WincloudSession $TargetIqn).Count -gt 0) { Disconnect-IscsiTarget -NodeAddress $TargetIqn -Confirm:$false }
    }
    'sessions' { Out-WincloudSession (Get-IscsiSession -ErrorAction SilentlyContinue) }
    'attach' {
        $vm = Get-WincloudVM $VMName
        $drive = @(Get-VMHardDiskDrive -VM $vm | Where-Object { $_.DiskNumber -eq $DiskNumber }) | Select-Object -First 1
        if (-not $drive) { $drive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -DiskNumber $DiskNumber -Passthru }
        [pscustomobject]@{ Location = [int]($drive.ControllerNumber * 64 + $drive.ControllerLocation) }
    }
    'detach' {
        $vm = Get-WincloudVM $VMName
        Get-VMHardDiskDrive -VM $vm | Where-Object { $_.DiskNumber -eq $DiskNumber } | Remove-VMHardDiskDrive
    }
    'list' {
        $vm = Get-WincloudVM $VMName
        Get-VMHardDiskDrive -VM $vm | Where-Object { $null -ne $_.DiskNumber } |
            ForEach-Object { [pscustomobject]@{ DiskNumber = [int]$_.DiskNumber } }
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
