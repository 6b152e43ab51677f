// The executor conformances live apart from the loop's mechanics: this is the whole contract
// between Swift concurrency and the loop.
extension EventLoop: SerialExecutor, TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        schedule(UnownedJob(job))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(inLoop, "expected to run on event loop \(index)'s thread")
    }

    public func isIsolatingCurrentContext() -> Bool? {
        inLoop
    }

    public func isSameExclusiveExecutionContext(other: EventLoop) -> Bool {
        self === other
    }
}
