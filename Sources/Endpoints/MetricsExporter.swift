public import Core
import Foundation
public import Gateway
import Prometheus
import Synchronization
public import TelegramBot

/// Prometheus metrics for `/metrics`: requests, tokens, cost, latency and time-to-first-token
/// histograms and cache hits from the event bus; circuit states, enabled providers and Telegram's
/// counters (updates, 429s, refused webhook calls) read at each scrape.
public final class MetricsExporter: Sendable {
    static let latencyBuckets: [Duration] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120].map { .milliseconds(Int($0 * 1000)) }
    static let firstTokenBuckets: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10].map { .milliseconds(Int($0 * 1000)) }

    let registry = PrometheusCollectorRegistry()
    let gateway: Gateway
    let bot: TelegramBot?
    let events: Subscription<Event>
    /// Telegram's counters as last copied into the registry (they are kept by the bot).
    private let telegramSeen = Mutex(TelegramCounters.Snapshot())

    /// Subscribes to `bus` at once, so nothing published from now on is missed; ``run()`` reads it.
    public init(bus: EventBus<Event>, gateway: Gateway, bot: TelegramBot?) {
        self.gateway = gateway
        self.bot = bot
        self.events = bus.subscribe(capacity: 4_096)
    }

    /// Records the bus's events until the task is cancelled.
    public func run() async {
        await withTaskCancellationHandler {
            for await event in events { record(event) }
        } onCancel: { [events] in
            events.cancel()
        }
    }

    func record(_ event: Event) {
        switch event {
        case .responseCompleted(let done):
            let model = [("provider", done.provider), ("model", done.model)]
            counter("requests", "total", "Answers completed, by provider, model and cache", model + [("cache", done.fromCache ? "hit" : "miss")]).increment()
            add(done.inputTokens, to: counter("tokens", "total", "Tokens used, by provider, model and direction", model + [("direction", "input")]))
            add(done.outputTokens, to: counter("tokens", "total", "Tokens used, by provider, model and direction", model + [("direction", "output")]))
            add(dollars: done.costUSD, to: counter("cost", "usd_total", "Spend in USD, by provider and model", model))
            if done.fromCache {
                counter("cache_hits", "total", "Answers served from the response cache", []).increment()
            } else {
                histogram("request_duration", "seconds", "Time from request to complete answer", done.provider, Self.latencyBuckets).record(done.latency)
                if let first = done.timeToFirstToken {
                    histogram("time_to_first_token", "seconds", "Time from request to the first token", done.provider, Self.firstTokenBuckets).record(first)
                }
            }
        case .requestFailed(let failed):
            counter("request_failures", "total", "Requests no model could answer, by error kind", [("kind", failed.kind)]).increment()
        case .streamRestarted:
            counter("stream_restarts", "total", "Answers restarted on another provider mid-stream", []).increment()
        default:
            break
        }
    }

    /// The Prometheus text exposition of everything recorded, with the live gauges read now.
    public func render() -> [UInt8] {
        for provider in gateway.providerNames {
            let labels = [("provider", provider)]
            let circuit: Double = switch gateway.circuitState(of: provider) {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
            gauge("circuit_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open", labels).set(to: circuit)
            gauge("provider_enabled", "1 when the operator has the provider enabled", labels).set(to: gateway.isEnabled(provider) ? 1 : 0)
        }
        gauge("events_dropped", "Bus events the metrics reader lost by lagging (its counts are low by as many)", []).set(to: Double(events.droppedCount))
        if let bot {
            telegramSeen.withLock { seen in
                let now = bot.counters.snapshot
                add(now.updates - seen.updates, to: counter("telegram_updates", "total", "Telegram updates received", []))
                add(now.rateLimited - seen.rateLimited, to: counter("telegram_rate_limited", "total", "429 answers from Telegram", []))
                add(now.webhookRejected - seen.webhookRejected, to: counter("telegram_webhook_rejected", "total", "Webhook requests refused (wrong secret token, not an update)", []))
                seen = now
            }
        }
        return registry.emitToBuffer()
    }

    /// Adds `count` to `counter` when it is a count at all: a Prometheus counter traps on a negative
    /// increment, and nothing a provider reports may stop the process.
    private func add(_ count: Int, to counter: Counter) {
        guard count > 0 else { return }
        counter.increment(by: Int64(count))
    }

    /// Adds `dollars` to `counter` when it is a finite, positive amount (see ``add(_:to:)``).
    private func add(dollars: Double, to counter: Counter) {
        guard dollars.isFinite, dollars > 0 else { return }
        counter.increment(by: dollars)
    }

    private func counter(_ name: String, _ unit: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, unit, help), labels: labels)
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)]) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, "", help), labels: labels)
    }

    private func histogram(_ name: String, _ unit: String, _ help: String, _ provider: String, _ buckets: [Duration]) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.descriptor(name, unit, help), labels: [("provider", provider)], buckets: buckets)
    }

    static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "switchboard", metricName: name, unitName: unit, helpText: help)
    }
}
