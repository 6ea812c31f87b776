# wincloud:iscsi_target  New-/Get-/Set-/Remove-IscsiServerTarget, Add-/Remove-IscsiVirtualDiskTargetMapping
param([string]$Action, [string]$TargetName = '', [string[]]$InitiatorIds = @(),
      [string]$ChapUser = '', [string]$ChapSecret = '', [string]$Path = '', [int]$Lun = -1)
# @common
function Out-WincloudIscsiTarget($Target) {
    $Target | ForEach-Object {
        [pscustomobject]@{
            TargetName   = [string]$_.TargetName
            TargetIqn    = [string]$_.TargetIqn
            InitiatorIds = [string[]]@($_.InitiatorIds | ForEach-Object { $_.ToString() })
            LunMappings  = [string[]]@($_.LunMappings | ForEach-Object { "$($_.Lun)|$($_.Path)" })
            EnableChap   = [bool]$_.EnableChap
            ChapUserName = if ($_.EnableChap -and $_.Chap) { [string]$_.Chap.UserName } else { '' }
            Enable       = [bool]$_.Enable
            Status       = [string]$_.Status
        }
    }
}
function Find-WincloudIscsiTarget([string]$Name) {
    @(Get-IscsiServerTarget | Where-Object { $_.TargetName -eq $Name })
}
function Get-WincloudIscsiTarget([string]$Name) {
    $found = Find-WincloudIscsiTarget $Name
    if ($found.Count -eq 0) {
        Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no iSCSI target named '$Name'" $Name
    }
    $found[0]
}
$ids = [Microsoft.Iscsi.Target.Commands.InitiatorId[]]@($InitiatorIds | Where-Object { $_ })
switch ($Action) {
    'new' {
        if ((Find-WincloudIscsiTarget $TargetName).Count -gt 0) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "a target named '$TargetName' exists" $TargetName
        }
        if ($ids.Count -gt 0) {
            Out-WincloudIscsiTarget (New-IscsiServerTarget -TargetName $TargetName -InitiatorIds $ids)
        } else {
            Out-WincloudIscsiTarget (New-IscsiServerTarget -TargetName $TargetName)
        }
    }
    'get' { Out-WincloudIscsiTarget (Find-WincloudIscsiTarget $TargetName) }
    'list' { Out-WincloudIscsiTarget (Get-IscsiServerTarget | Sort-Object TargetName) }
    'initiators' {
        $null = Get-WincloudIscsiTarget $TargetName
        Set-IscsiServerTarget -TargetName $TargetName -InitiatorIds $ids
        Out-WincloudIscsiTarget (Get-WincloudIscsiTarget $TargetName)
    }
    'chap' {
        $null = Get-WincloudIscsiTarget $TargetName
        if ($ChapSecret) {
            $secure = ConvertTo-SecureString -String $ChapSecret -AsPlainText -Force
            $credential = [System.Management.Automation.PSCredential]::new($ChapUser, $secure)
            Set-IscsiServerTarget -TargetName $TargetName -EnableChap $true -Chap $credential
        } else {
            Set-IscsiServerTarget -TargetName $TargetName -EnableChap $false
        }
        Out-WincloudIscsiTarget (Get-WincloudIscsiTarget $TargetName)
    }
    'map' {
        $target = Get-WincloudIscsiTarget $TargetName
        if (@($target.LunMappings | Where-Object { $_.Path -eq $Path }).Count -eq 0) {
            if ($Lun -ge 0) {
                Add-IscsiVirtualDiskTargetMapping -TargetName $TargetName -Path $Path -Lun $Lun
            } else {
                Add-IscsiVirtualDiskTargetMapping -TargetName $TargetName -Path $Path
            }
        }
        Out-WincloudIscsiTarget (Get-WincloudIscsiTarget $TargetName)
    }
    'unmap' {
        $target = Get-WincloudIscsiTarget $TargetName
        if (@($target.LunMappings | Where-Object { $_.Path -eq $Path }).Count -gt 0) {
            Remove-IscsiVirtualDiskTargetMapping -TargetName $TargetName -Path $Path
        }
        Out-WincloudIscsiTarget (Get-WincloudIscsiTarget $TargetName)
    }
    'remove' {
        if ((Find-WincloudIscsiTarget $TargetName).Count -gt 0) { Remove-IscsiServerTarget -TargetName $TargetName }
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
