# wincloud:make_dir  New-Item -ItemType Directory -Force
param([string]$Path)
# @common
if (Test-Path -LiteralPath $Path -PathType Leaf) {
    Stop-Wincloud 'WincloudExists' 'ResourceExists' "a file has that name: $Path" $Path
}
New-Item -ItemType Directory -Path $Path -Force | Out-Null
