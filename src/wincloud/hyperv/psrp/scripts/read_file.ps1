# wincloud:read_file  System.IO.File::Open (Read, share ReadWrite) | Seek | Read
param([string]$Path, [long]$Offset = 0, [int]$MaxBytes = 65536)
# @common
Assert-WincloudFile $Path
$stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
    [System.IO.FileShare]::ReadWrite)
try {
    $buffer = New-Object byte[] ([Math]::Max(0, $MaxBytes))
    $count = 0
    if ($Offset -lt $stream.Length) {
        [void]$stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
        while ($count -lt $buffer.Length) {
            $n = $stream.Read($buffer, $count, $buffer.Length - $count)
            if ($n -le 0) { break }
            $count += $n
        }
    }
    $data = New-Object byte[] $count
    [Array]::Copy($buffer, $data, $count)
    # An empty byte[] serializes as an empty <BA/>, which pypsrp cannot read: send $null.
    # (Plain assignments: $(...) or a pipeline would unroll the array into single bytes.)
    if ($count -eq 0) { $data = $null }
    [pscustomobject]@{ Data = $data }
} finally { $stream.Dispose() }
