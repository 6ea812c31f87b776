# wincloud:host_info  Get-CimInstance Win32_OperatingSystem; Get-VMHost; System.IO.DriveInfo
param([string]$InstancesPath = '')
# @common
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$vmhost = $null
if (Get-Command -Name Get-VMHost -ErrorAction SilentlyContinue) { $vmhost = Get-VMHost }
$path = $InstancesPath
if (-not $path -and $vmhost) { $path = $vmhost.VirtualHardDiskPath }
if (-not $path) { $path = $env:SystemDrive + '\' }
$drive = [System.IO.DriveInfo]::new([System.IO.Path]::GetPathRoot($path))
$vmms = Join-Path $env:SystemRoot 'System32\vmms.exe'
$hvVersion = ''
if ($vmhost -and (Test-Path -LiteralPath $vmms)) {
    $hvVersion = [string](Get-Item -LiteralPath $vmms).VersionInfo.ProductVersion
}
$cpus = [Environment]::ProcessorCount
if ($vmhost) { $cpus = $vmhost.LogicalProcessorCount }
[pscustomobject]@{
    Hostname = [string]$env:COMPUTERNAME
    Caption = [string]$os.Caption
    Version = [string]$os.Version
    BuildNumber = [int]$os.BuildNumber
    LogicalProcessors = [int]$cpus
    TotalMemoryKB = [long]$os.TotalVisibleMemorySize
    FreeMemoryKB = [long]$os.FreePhysicalMemory
    InstancesPath = [string]$path
    DiskTotalBytes = [long]$drive.TotalSize
    DiskFreeBytes = [long]$drive.AvailableFreeSpace
    HyperVVersion = $hvVersion
}
