import Core
import Foundation
import HTTP
import Providers
import Store
import Synchronization
import TestSupport

@testable import Gateway

/// A Gateway over fake OpenAI and Anthropic servers and a real SQLite file.
final class GatewayHarness: Sendable {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let openAI: FakeLLMServer
    let anthropic: FakeLLMServer
    let bus = EventBus<Event>()
    let events: Subscription<Event>
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_960_740))
    let sleeps = SleepLog()
    let settings: Settings
    let gateway: Gateway

    init(openAI openAIScript: FakeLLMScript = FakeLLMScript(text: "Hello from OpenAI."), anthropic anthropicScript: FakeLLMScript = FakeLLMScript(text: "Hello from Anthropic."), environment: [String: String] = [:]) throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("db.sqlite3"))
        openAI = try FakeLLMServer(.openAI, defaultScript: openAIScript)
        anthropic = try FakeLLMServer(.anthropic, defaultScript: anthropicScript)
        events = bus.subscribe(capacity: 100_000)
        let env = [
            "OPENAI_API_KEY": "sk-openai", "OPENAI_BASE_URL": openAI.baseURL,
            "ANTHROPIC_API_KEY": "sk-anthropic", "ANTHROPIC_BASE_URL": anthropic.baseURL,
            "SWITCHBOARD_FIRST_BYTE_TIMEOUT": "5", "SWITCHBOARD_IDLE_TIMEOUT": "5", "SWITCHBOARD_REQUEST_TIMEOUT": "30",
        ].merging(environment) { $1 }
        settings = SettingsLoader(environment: env).load().0
        gateway = Self.makeGateway(settings: settings, store: store, bus: bus, clock: clock, sleeps: sleeps)
    }

    static func makeGateway(settings: Settings, store: SQLiteStore, bus: EventBus<Event>, clock: ManualClock, sleeps: SleepLog? = nil) -> Gateway {
        let client = CurlHTTPClient()
        var providers: [String: any LLMProvider] = [:]
        for configuration in settings.configuredProviders {
            providers[configuration.name] = ProviderFactory.make(configuration, transport: client, timeouts: HTTPTimeouts(settings.network))
        }
        // Sleeps are recorded, not slept: tests assert the backoff without waiting for it.
        return Gateway(
            settings: settings, catalog: (try? ModelCatalog.bundled()) ?? ModelCatalog(entries: []), store: store,
            providers: providers, bus: bus, clock: { clock.now }, random: { 0.5 },
            sleep: { duration in sleeps?.record(duration) })
    }

    /// A second gateway over the same database, as another process would have.
    func anotherProcess() -> Gateway {
        Self.makeGateway(settings: settings, store: store, bus: EventBus<Event>(), clock: clock)
    }

    func request(_ text: String = "Hi", conversation: ConversationID = .cli("test"), user: String? = nil, priority: RequestPriority = .normal) -> GatewayRequest {
        GatewayRequest(conversation: conversation, user: user, messages: [.system("Be brief."), .user(text)], priority: priority, maxOutputTokens: 200)
    }

    /// Runs a request and returns every event in order.
    func run(_ request: GatewayRequest) async -> [GatewayEvent] {
        var all: [GatewayEvent] = []
        for await event in gateway.stream(request) { all.append(event) }
        gateway.flushWrites()
        return all
    }

    func result(_ events: [GatewayEvent]) -> GatewayResult? {
        for case .completed(let result) in events { return result }
        return nil
    }

    func text(_ events: [GatewayEvent]) -> String {
        events.reduce(into: "") { text, event in
            switch event {
            case .delta(let piece): text += piece
            case .restarted: text = ""
            default: break
            }
        }
    }

    func busEvents() -> [Event] { events.drain() }
}

/// The backoff waits a Gateway asked for.
final class SleepLog: Sendable {
    private let log = Mutex<[Duration]>([])
    func record(_ duration: Duration) { log.withLock { $0.append(duration) } }
    var values: [Duration] { log.withLock { $0 } }
}
