# wincloud:read_console  Get-VMComPort; System.IO.Pipes.NamedPipeClientStream -> host-side log; tail
# Hyper-V serves the COM pipe while the VM runs and keeps no history: each call drains what the
# guest wrote since the last call (up to DrainMs) into LogPath, then returns the log's tail.
param([string]$VMName, [string]$LogPath, [int]$MaxBytes = 65536, [int]$DrainMs = 500,
      [long]$MaxLogBytes = 16777216)
# @common
$vm = Get-WincloudVM $VMName
$com = Get-VMComPort -VM $vm -Number 1
$dir = Split-Path -Parent $LogPath
if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
if ((Test-Path -LiteralPath $LogPath) -and (Get-Item -LiteralPath $LogPath).Length -gt $MaxLogBytes) {
    Move-Item -LiteralPath $LogPath -Destination ($LogPath + '.1') -Force  # keep one older log
}
$prefix = '\\.\pipe\'
if ([string]$vm.State -eq 'Running' -and $com.Path -and $com.Path.StartsWith($prefix)) {
    $pipe = [System.IO.Pipes.NamedPipeClientStream]::new('.', $com.Path.Substring($prefix.Length),
        [System.IO.Pipes.PipeDirection]::In)
    try {
        $pipe.Connect(500)
        $log = [System.IO.File]::Open($LogPath, [System.IO.FileMode]::Append,
            [System.IO.FileAccess]::Write, [System.IO.FileShare]::Read)
        try {
            $buffer = New-Object byte[] 65536
            $deadline = [DateTime]::UtcNow.AddMilliseconds($DrainMs)
            for ($i = 0; $i -lt 1000 -and [DateTime]::UtcNow -lt $deadline; $i++) {
                $task = $pipe.ReadAsync($buffer, 0, $buffer.Length)
                $left = [int][Math]::Max(1, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
                if (-not $task.Wait($left) -or $task.Result -le 0) { break }
                $log.Write($buffer, 0, $task.Result)
            }
        } finally { $log.Dispose() }
    } catch [System.TimeoutException] {
        # another reader holds the pipe: return what the log has
    } finally { $pipe.Dispose() }
}
$data = New-Object byte[] 0
if (Test-Path -LiteralPath $LogPath) {
    $stream = [System.IO.File]::Open($LogPath, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
        [System.IO.FileShare]::ReadWrite)
    try {
        $count = [int][Math]::Min([long]$MaxBytes, $stream.Length)
        [void]$stream.Seek(-$count, [System.IO.SeekOrigin]::End)
        $data = New-Object byte[] $count
        $read = 0
        while ($read -lt $count) {
            $n = $stream.Read($data, $read, $count - $read)
            if ($n -le 0) { break }
            $read += $n
        }
    } finally { $stream.Dispose() }
}
# An empty byte[] serializes as an empty <BA/>, which pypsrp cannot read: send $null.
# (Plain assignments: $(...) or a pipeline would unroll the array into single bytes.)
if ($data.Length -eq 0) { $data = $null }
[pscustomobject]@{ Data = $data }
