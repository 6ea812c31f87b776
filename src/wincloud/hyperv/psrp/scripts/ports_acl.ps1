# wincloud:ports_acl  Get-VMNetworkAdapterExtendedAcl | Add-VMNetworkAdapterExtendedAcl | Remove-VMNetworkAdapterExtendedAcl
param([string]$VMName, [string]$NicName, [string]$Action, [string]$Direction = '', [int]$Weight = 0,
    [string]$AclAction = '', [string]$Protocol = 'ANY', [string]$RemoteIPAddress = 'ANY',
    [string]$LocalPort = 'ANY', [string]$RemotePort = 'ANY', [bool]$Stateful = $false,
    [int]$IdleSessionTimeout = 0)
# @common
$vm = Get-WincloudVM $VMName
$nic = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $NicName })
if ($nic.Count -eq 0) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "$VMName has no network adapter named '$NicName'" $NicName
}
$existing = @(Get-VMNetworkAdapterExtendedAcl -VMNetworkAdapter $nic[0])
$same = @($existing | Where-Object { [string]$_.Direction -eq $Direction -and $_.Weight -eq $Weight })
switch ($Action) {
    'list' {
        $existing | Sort-Object { [string]$_.Direction }, Weight | ForEach-Object {
            [pscustomobject]@{
                Direction = [string]$_.Direction
                Weight = [int]$_.Weight
                Action = [string]$_.Action
                Protocol = [string]$_.Protocol
                RemoteIPAddress = [string]$_.RemoteIPAddress
                LocalPort = [string]$_.LocalPort
                RemotePort = [string]$_.RemotePort
                Stateful = [bool]$_.Stateful
                IdleSessionTimeout = [int]$_.IdleSessionTimeout
            }
        }
    }
    'add' {
        if ($same.Count -gt 0) {
            Stop-Wincloud 'WincloudExists' 'ResourceExists' "a $Direction rule has weight $Weight" "$NicName $Direction/$Weight"
        }
        $splat = @{ VMNetworkAdapter = $nic[0]; Direction = $Direction; Weight = $Weight; Action = $AclAction
            Protocol = $Protocol; RemoteIPAddress = $RemoteIPAddress; LocalPort = $LocalPort; RemotePort = $RemotePort
            Stateful = $Stateful }
        if ($IdleSessionTimeout -gt 0) { $splat.IdleSessionTimeout = $IdleSessionTimeout }
        Add-VMNetworkAdapterExtendedAcl @splat
    }
    'remove' {
        if ($same.Count -eq 0) {
            Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no $Direction rule has weight $Weight" "$NicName $Direction/$Weight"
        }
        Remove-VMNetworkAdapterExtendedAcl -VMNetworkAdapter $nic[0] -Direction $Direction -Weight $Weight
    }
    default { Stop-Wincloud 'WincloudBadArgument' 'InvalidArgument' "unknown action '$Action'" $Action }
}
