import CFuzzDriver

// libFuzzer drives `fuzzOne` with generated inputs; see CFuzzDriver.h for why main is ours.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    return fuzzOne(data, Int(size))
}
precondition(status == 0, "libFuzzer exited with \(status)")
