# wincloud:remove_path  Remove-Item -LiteralPath -Recurse -Force
param([string]$Path)
# @common
if (Test-Path -LiteralPath $Path) {
    try {
        Remove-Item -LiteralPath $Path -Recurse -Force
    } catch {
        if ($_.Exception -is [System.IO.IOException] -or $_.Exception.InnerException -is [System.IO.IOException]) {
            Stop-Wincloud 'WincloudInUse' 'ResourceBusy' $_.Exception.Message $Path
        }
        throw
    }
}
