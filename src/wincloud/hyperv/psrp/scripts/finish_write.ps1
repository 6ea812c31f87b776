# wincloud:finish_write  System.IO.File::Replace | ::Move (partial -> final), or discard the partial
param([string]$Partial, [string]$Path, [bool]$Discard = $false)
# @common
if ($Discard) {
    if (Test-Path -LiteralPath $Partial) { Remove-Item -LiteralPath $Partial -Force }
    return
}
try {
    if (Test-Path -LiteralPath $Path) {
        [System.IO.File]::Replace($Partial, $Path, [NullString]::Value)
    } else {
        [System.IO.File]::Move($Partial, $Path)
    }
} catch {
    Remove-Item -LiteralPath $Partial -Force -ErrorAction SilentlyContinue
    if ($_.Exception.InnerException -is [System.IO.IOException]) {
        Stop-Wincloud 'WincloudInUse' 'ResourceBusy' $_.Exception.InnerException.Message $Path
    }
    throw
}
