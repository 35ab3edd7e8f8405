import Benchmark
import Core
import Foundation
import Gateway
import HTTP
import Providers
import Store
import Synchronization
import TestSupport

/// Wraps a provider and records how long each call spent inside it, by the request's last message,
/// so the Gateway's own time is total minus provider time.
final class TimedProvider: LLMProvider {
    let inner: any LLMProvider
    let times = Mutex<[String: Duration]>([:])
    var name: String { inner.name }

    init(_ inner: any LLMProvider) { self.inner = inner }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let started = ContinuousClock.now
        let key = request.messages.last?.content ?? ""
        let upstream = inner.stream(request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in upstream { continuation.yield(event) }
                    self.times.withLock { $0[key] = .now - started }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse { try await inner.complete(request) }
}

struct Fixture {
    let directory: TemporaryDirectory
    let fake: FakeLLMServer
    let client: CurlHTTPClient
    let bare: OpenAIProvider
    let timed: TimedProvider
    let gateway: Gateway

    init(caching: Bool) throws {
        directory = try TemporaryDirectory()
        fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "A short answer of a few tokens.", promptTokens: 30, outputTokens: 8))
        client = CurlHTTPClient()
        let settings = SettingsLoader(environment: [
            "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": fake.baseURL, "LLM_ENABLE_CACHING": caching ? "true" : "false",
            "LLM_HOURLY_QUOTA": "1000000", "LLM_DAILY_QUOTA": "1000000", "LLM_GLOBAL_DAILY_LIMIT": "1000000",
        ]).load().0
        bare = OpenAIProvider(name: "openai", baseURL: fake.baseURL, apiKey: "sk-bench", flavor: .openAI, transport: client)
        timed = TimedProvider(bare)
        let store = try SQLiteStore(path: directory.file("bench.sqlite3"))
        gateway = Gateway(settings: settings, catalog: try ModelCatalog.bundled(), store: store, providers: ["openai": timed], bus: EventBus<Event>())
    }

    func request(_ text: String) -> GatewayRequest {
        GatewayRequest(conversation: .cli("bench"), messages: [.system("Be brief."), .user(text)], maxOutputTokens: 100, model: "gpt-4o-mini")
    }
}

/// A shared count of requests handed out to the workers.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

func microseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(30), maxIterations: 3)

    // Target: the Gateway's own time under 1 ms p50 and 5 ms p99 at concurrency 1, 10 and 100.
    for concurrency in [1, 10, 100] {
        let requests = concurrency == 1 ? 300 : 2_000
        Benchmark("gateway, concurrency \(concurrency)", configuration: .init(metrics: [.wallClock, .custom("latency µs"), .custom("own time µs"), .custom("requests/s", polarity: .prefersLarger)])) { benchmark in
            guard let fixture = try? Fixture(caching: true) else { fatalError("fixture") }
            let counter = Counter()
            let started = ContinuousClock.now
            let measured = await withTaskGroup(of: [(own: Int, total: Int)].self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var samples: [(own: Int, total: Int)] = []
                        while true {
                            let index = counter.next()
                            guard index <= requests else { return samples }
                            let text = "question \(index) \(UUID().uuidString)"  // unique: every request a cache miss and a save
                            let before = ContinuousClock.now
                            let result = await fixture.gateway.complete(fixture.request(text))
                            let total = ContinuousClock.now - before
                            guard !result.hadErrors, let inside = fixture.timed.times.withLock({ $0[text] }) else { continue }
                            samples.append((microseconds(total - inside), microseconds(total)))
                        }
                    }
                }
                var all: [(own: Int, total: Int)] = []
                for await samples in group { all += samples }
                return all
            }
            let seconds = Double(microseconds(.now - started)) / 1e6
            for sample in measured {
                benchmark.measurement(.custom("own time µs"), sample.own)
                benchmark.measurement(.custom("latency µs"), sample.total)
            }
            benchmark.measurement(.custom("requests/s", polarity: .prefersLarger), Int(Double(measured.count) / seconds))
        }
    }

    // The same workload straight through a provider: the baseline the Gateway's latency and
    // throughput are compared with (the Gateway adds the difference between the two).
    for concurrency in [1, 10, 100] {
        let requests = concurrency == 1 ? 300 : 2_000
        Benchmark("bare client, concurrency \(concurrency)", configuration: .init(metrics: [.wallClock, .custom("latency µs"), .custom("requests/s", polarity: .prefersLarger)])) { benchmark in
            guard let fixture = try? Fixture(caching: false) else { fatalError("fixture") }
            let counter = Counter()
            let started = ContinuousClock.now
            let latencies = await withTaskGroup(of: [Int].self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var samples: [Int] = []
                        while counter.next() <= requests {
                            let request = ChatRequest(model: "gpt-4o-mini", messages: [.system("Be brief."), .user("question \(UUID().uuidString)")], maxOutputTokens: 100)
                            let before = ContinuousClock.now
                            do {
                                for try await _ in fixture.bare.stream(request) {}
                                samples.append(microseconds(.now - before))
                            } catch {}
                        }
                        return samples
                    }
                }
                var all: [Int] = []
                for await samples in group { all += samples }
                return all
            }
            let seconds = Double(microseconds(.now - started)) / 1e6
            for sample in latencies { benchmark.measurement(.custom("latency µs"), sample) }
            benchmark.measurement(.custom("requests/s", polarity: .prefersLarger), Int(Double(latencies.count) / seconds))
        }
    }

    // Target: a cache hit answered in under 100 µs p50, in process.
    Benchmark("cache hit, in process", configuration: .init(metrics: [.wallClock, .custom("hit µs")], maxIterations: 5)) { benchmark in
        guard let fixture = try? Fixture(caching: true) else { fatalError("fixture") }
        let request = fixture.request("the same question every time")
        _ = await fixture.gateway.complete(request)
        for _ in 0..<2_000 {
            let before = ContinuousClock.now
            let result = await fixture.gateway.complete(request)
            guard result.fromCache else { fatalError("expected a cache hit") }
            benchmark.measurement(.custom("hit µs"), microseconds(.now - before))
        }
    }
}
