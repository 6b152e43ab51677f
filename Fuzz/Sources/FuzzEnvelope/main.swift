import FuzzSupport

runFuzzer { data, size in fuzzOneInput(data, size) }
