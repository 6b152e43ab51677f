import CFuzzDriver

#if canImport(Glibc)
import Glibc
#endif

/// Runs libFuzzer, calling `body` with each generated input, and exits with its status.
/// SwiftPM renames an executable's `main`, so each fuzz target's main.swift calls this instead of
/// relying on libFuzzer's own `main` (see CFuzzDriver.h).
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}

/// Aborts the run (libFuzzer keeps the input) when a fuzz rule does not hold.
public func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz rule broken: \(message())") }
}

/// Splits `count` bytes into uneven pieces (sizes 1 to 19) derived from `seed`, so that parsers
/// are fed input cut at every kind of boundary.
public func unevenPieces(_ count: Int, seed: UInt8) -> [Int] {
    var pieces: [Int] = []
    var left = count
    var size = Int(seed % 13) + 2
    while left > 0 {
        pieces.append(min(size, left))
        left -= size
        size = size * 7 % 17 + 1
    }
    return pieces
}
