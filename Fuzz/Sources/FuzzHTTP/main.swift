import FuzzSupport

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzzOne(data, size)
}
