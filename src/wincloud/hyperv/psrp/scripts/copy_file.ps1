# wincloud:copy_file  Copy-Item -LiteralPath -Destination -Force
param([string]$Path, [string]$Destination)
# @common
Assert-WincloudFile $Path
Assert-WincloudParent $Destination
Copy-Item -LiteralPath $Path -Destination $Destination -Force
