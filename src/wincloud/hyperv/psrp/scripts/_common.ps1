$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Stop-Wincloud([string]$Id, [string]$Category, [string]$Message, [string]$Target) {
    # A refusal of ours: the ErrorId (Wincloud<Kind>) tells the client which error it is; the
    # message repeats it ("Wincloud<Kind>: ...") in case a host rewrites the id on the way out.
    $record = [System.Management.Automation.ErrorRecord]::new(
        [System.InvalidOperationException]::new("${Id}: $Message"), $Id,
        [System.Management.Automation.ErrorCategory]$Category, $Target)
    throw $record
}

function Get-WincloudVM([string]$Name) {
    # Exact, case-insensitive name match: Get-VM -Name would treat [ ] * ? as wildcards.
    $found = @(Get-VM | Where-Object { $_.Name -eq $Name })
    if ($found.Count -eq 0) {
        Stop-Wincloud 'WincloudVmNotFound' 'ObjectNotFound' "no virtual machine named '$Name'" $Name
    }
    if ($found.Count -gt 1) {
        Stop-Wincloud 'WincloudFailed' 'InvalidData' "more than one virtual machine is named '$Name'" $Name
    }
    $found[0]
}

function Out-WincloudVM($VM) {
    $VM | Select-Object VMName, VMId, State, Generation, ProcessorCount, MemoryStartup, Uptime, Notes,
        @{ Name = 'SecureBoot'; Expression = {
            if ($_.Generation -eq 2) { [string](Get-VMFirmware -VM $_).SecureBoot -eq 'On' } else { $null } } }
}

function Out-WincloudNic($Nic) {
    $Nic | Select-Object Name, MacAddress, SwitchName, VMName,
        @{ Name = 'AccessVlanId'; Expression = {
            $vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $_
            if ([string]$vlan.OperationMode -eq 'Access') { [int]$vlan.AccessVlanId } else { $null } } }
}

function Out-WincloudVhd($Vhd) {
    $Vhd | Select-Object Path, VhdFormat, VhdType, Size, FileSize, ParentPath, Attached
}

function Out-WincloudDrive($Drive, [string]$Kind) {
    $Drive | Select-Object Path, ControllerType, ControllerNumber, ControllerLocation,
        @{ Name = 'Kind'; Expression = { $Kind } }
}

function Out-WincloudCheckpoint($Snapshot) {
    $Snapshot | Select-Object Name, VMName, CreationTime, ParentSnapshotName,
        @{ Name = 'DiskPaths'; Expression = { [string[]]@($_.HardDrives | ForEach-Object { $_.Path }) } }
}

function Assert-WincloudFile([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no such file: $Path" $Path
    }
}

function Assert-WincloudParent([string]$Path) {
    $parent = Split-Path -Parent $Path
    if (-not $parent -or -not (Test-Path -LiteralPath $parent -PathType Container)) {
        Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "the parent directory does not exist: $Path" $Path
    }
}
