# wincloud:list_dir  Get-ChildItem -LiteralPath | Select-Object Name, PSIsContainer, Length, LastWriteTimeUtc, LastAccessTimeUtc
param([string]$Path)
# @common
if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
    Stop-Wincloud 'WincloudNotFound' 'ObjectNotFound' "no such directory: $Path" $Path
}
Get-ChildItem -LiteralPath $Path -Force | Sort-Object Name | Select-Object Name, PSIsContainer,
    @{ Name = 'Length'; Expression = { if ($_.PSIsContainer) { [long]0 } else { [long]$_.Length } } },
    LastWriteTimeUtc, LastAccessTimeUtc
