# wincloud:file_exists  Test-Path -LiteralPath
param([string]$Path)
# @common
[pscustomobject]@{ Exists = [bool](Test-Path -LiteralPath $Path) }
