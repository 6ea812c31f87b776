# wincloud:iscsi_server  (Get-IscsiTargetServerSetting).Portals | Select-Object Address, Port, Enabled
param()
# @common
if (-not (Get-Command Get-IscsiTargetServerSetting -ErrorAction SilentlyContinue)) {
    Stop-Wincloud 'WincloudFailed' 'NotInstalled' 'the iSCSI Target Server role is not installed (Install-WindowsFeature FS-iSCSITarget-Server)' 'FS-iSCSITarget-Server'
}
foreach ($portal in @((Get-IscsiTargetServerSetting).Portals)) {
    [pscustomobject]@{
        Address = [string]$portal.IPEndpoint.Address
        Port    = [int]$portal.IPEndpoint.Port
        Enabled = [bool]$portal.Enabled
    }
}
