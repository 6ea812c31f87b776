# wincloud:write_chunk  System.IO.File::Open (Create | Append) on the partial file
param([string]$Path, [byte[]]$Data, [bool]$Append)
# @common
Assert-WincloudParent $Path
$mode = if ($Append) { [System.IO.FileMode]::Append } else { [System.IO.FileMode]::Create }
$stream = [System.IO.File]::Open($Path, $mode, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
try { if ($Data) { $stream.Write($Data, 0, $Data.Length) } } finally { $stream.Dispose() }
[pscustomobject]@{ Length = [long](Get-Item -LiteralPath $Path).Length }
