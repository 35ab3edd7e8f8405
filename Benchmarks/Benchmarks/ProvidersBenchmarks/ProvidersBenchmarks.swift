import Benchmark
import Foundation
import HTTP
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock, comparable between the fake server's threads and the consumer.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// An OpenAI-like stream of `count` events, for the parser benchmark.
func sampleStream(bytes target: Int) -> [UInt8] {
    var text = ""
    var index = 0
    while text.utf8.count < target {
        text += "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token \(index) \"},\"finish_reason\":null}]}\n\n"
        if index % 50 == 0 { text += ": keep-alive\r\n" }
        index += 1
    }
    return Array(text.utf8)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(20), maxIterations: 20)

    // Target: ≥ 200 MB/s in release builds.
    let stream = sampleStream(bytes: 32 << 20)
    Benchmark("SSE parse 32 MiB in 4 KiB chunks", configuration: .init(metrics: [.wallClock, .custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)])) { benchmark in
        let chunk = 4096
        let started = monotonicNanoseconds()
        var parser = SSEParser()
        var events = 0
        var offset = 0
        while offset < stream.count {
            let end = min(offset + chunk, stream.count)
            parser.parse(stream[offset..<end]) { _ in events += 1 }
            offset = end
        }
        blackHole(events)
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        benchmark.measurement(.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(stream.count) / 1e6 / seconds))
    }

    // Target: 1,000 concurrent streams of 100 tokens each complete with every token, on the one
    // I/O thread, with p99 delay from the fake's send to the consumer under 5 ms.
    let streams = Int(ProcessInfo.processInfo.environment["SB_BENCH_STREAMS"] ?? "") ?? 1000
    let tokens = 100
    Benchmark("\(streams) concurrent streams × \(tokens) tokens, chunk delay", configuration: .init(
        metrics: [.wallClock, .custom("chunk delay µs"), .custom("incomplete streams")], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 3
    )) { benchmark in
        // One ticker thread paces every stream (a thread per stream sleeping 10 ms would spend the
        // two cores on context switches and measure the fake, not the client). Each stream sends a
        // token every 10 ms at its own phase, as independent answers do; SB_BENCH_IN_STEP=1 sends
        // all streams' tokens in one burst instead (the worst case).
        let inStep = ProcessInfo.processInfo.environment["SB_BENCH_IN_STEP"] == "1"
        // Tokens start once every stream is connected, so the figure is the steady state of 1,000
        // concurrent streams, not the connection ramp (SB_BENCH_NO_GATE=1 starts at once).
        let gate = ProcessInfo.processInfo.environment["SB_BENCH_NO_GATE"] == "1" ? 0 : streams
        let ticker = StreamTicker(tokens: tokens, phases: inStep ? 1 : 10, tick: inStep ? .milliseconds(10) : .milliseconds(1), startAfter: gate)
        let server: FakeHTTPServer
        do {
            server = try FakeHTTPServer { _, writer in
                writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
                ticker.stream(to: writer)
            }
        } catch {
            fatalError("the fake server did not start: \(error)")
        }
        let client = CurlHTTPClient()
        let results = await withTaskGroup(of: (delays: [UInt64], complete: Bool).self) { group in
            for _ in 0..<streams {
                group.addTask {
                    var delays: [UInt64] = []
                    delays.reserveCapacity(tokens)
                    var done = false
                    do {
                        let response = try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/v1/chat/completions", body: Data("{}".utf8)))
                        var parser = SSEParser()
                        for try await chunk in response.body {
                            let now = monotonicNanoseconds()
                            parser.parse(chunk) { event in
                                if event.data == "[DONE]" { done = true } else if let sent = UInt64(event.data) { delays.append(now &- sent) }
                            }
                        }
                    } catch {
                        return (delays, false)
                    }
                    return (delays, done && delays.count == tokens)
                }
            }
            var all: [(delays: [UInt64], complete: Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        server.stop()
        ticker.stop()
        for result in results {
            for delay in result.delays { benchmark.measurement(.custom("chunk delay µs"), Int(delay / 1000)) }
        }
        benchmark.measurement(.custom("incomplete streams"), results.filter { !$0.complete }.count)
    }
}

/// Sends `tokens` timestamped events to every registered stream: stream `i` sends on the ticks
/// where `tick % phases == i % phases`, so each stream gets one token every `phases × tick`.
final class StreamTicker: @unchecked Sendable {
    // @unchecked: `streams` is guarded by `lock`; each writer is used only by the ticker thread
    // while its connection thread waits on the stream's semaphore.
    private let lock = NSLock()
    private var streams: [(writer: ResponseWriter, sent: Int, phase: Int, done: DispatchSemaphore)] = []
    private var running = true
    private var registered = 0
    private let tokens: Int
    private let phases: Int

    init(tokens: Int, phases: Int, tick: Duration, startAfter expected: Int) {
        self.tokens = tokens
        self.phases = phases
        let thread = Thread { [self] in
            while lock.withLock({ running && registered < expected }) { Thread.sleep(forTimeInterval: 0.001) }
            var count = 0
            while lock.withLock({ running }) {
                Thread.sleep(forTimeInterval: Double(tick.components.attoseconds) / 1e18 + Double(tick.components.seconds))
                self.tick(count % phases)
                count += 1
            }
        }
        thread.start()
    }

    /// Called on a connection's thread: blocks until its stream is complete.
    func stream(to writer: ResponseWriter) {
        let done = DispatchSemaphore(value: 0)
        lock.withLock {
            streams.append((writer, 0, registered % phases, done))
            registered += 1
        }
        done.wait()
    }

    func stop() { lock.withLock { running = false } }

    private func tick(_ phase: Int) {
        let current = lock.withLock { streams }
        var finished: Set<Int> = []
        var sentTo: [Int] = []
        for (index, stream) in current.enumerated() where stream.phase == phase {
            sentTo.append(index)
            let alive = stream.writer.send("data: \(monotonicNanoseconds())\n\n")
            if !alive || stream.sent + 1 == tokens {
                if alive {
                    stream.writer.send("data: [DONE]\n\n")
                    stream.writer.end()
                }
                finished.insert(index)
            }
        }
        lock.withLock {
            // New streams may have been appended meanwhile: they sit after `current.count`.
            for index in sentTo { streams[index].sent += 1 }
            for index in finished.sorted(by: >) {
                streams[index].done.signal()
                streams.remove(at: index)
            }
        }
    }
}
