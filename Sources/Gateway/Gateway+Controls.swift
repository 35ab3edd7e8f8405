public import Core
import Foundation
import Store

/// A control the operator asked for that cannot be applied, with the reason.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Gateway {
    /// Re-reads the persisted controls when they are older than ``controlsRefreshInterval``, so a
    /// change made by another process (`switchboard pin …` beside a running bot) applies within seconds.
    func refreshControlsIfStale() {
        let now = clockNow()
        let stale = controls.withLock { now.timeIntervalSince($0.loadedAt) >= Self.controlsRefreshInterval || now < $0.loadedAt }
        guard stale else { return }
        reloadControls()
    }

    /// Reads the persisted controls now.
    public func reloadControls() {
        let now = clockNow()
        let overrides: [String: ProviderOverrides]
        let pin: String?
        do {
            overrides = try storeForControls.providerOverrides()
            pin = try storeForControls.runtimeSetting(.pinnedModel)
        } catch {
            // The controls last read stay in force — a pin or a disabled provider is not dropped
            // because the database was busy — and are read again after the interval.
            controls.withLock { $0.loadedAt = now }
            logger.warning("operator controls could not be read; the last ones read stay in force", metadata: ["reason": "\(error)"])
            return
        }
        let previous = controls.withLock { state -> [String: ProviderOverrides] in
            defer {
                state.overrides = overrides
                state.pinnedModel = pin
                state.loadedAt = now
            }
            return state.overrides
        }
        if previous != overrides {
            ledger.setLimits(BudgetLimits(settings: quotaSettings, overrides: overrides))
            for name in Set(previous.keys).union(overrides.keys) where previous[name]?.enabled != overrides[name]?.enabled {
                publishProviderState(name, enabled: overrides[name]?.enabled ?? true)
            }
        }
    }

    /// The model requests are pinned to, if any.
    public var pinnedModel: String? { controls.withLock { $0.pinnedModel } }

    /// Whether the operator left `provider` enabled.
    public func isEnabled(_ provider: String) -> Bool { controls.withLock { $0.overrides[provider]?.enabled ?? true } }

    /// Pins every request to `model`; `nil` unpins. Refused for unknown and retired models.
    public func pin(model: String?) throws(ControlError) {
        if let model {
            guard let entry = candidateEntry(model) else {
                throw ControlError(message: "unknown model '\(model)': `switchboard models` lists the known models")
            }
            guard !entry.isRetired(on: clockNow()) else {
                throw ControlError(message: "\(model) is retired; pin a current model")
            }
        }
        do {
            try storeForControls.setRuntimeSetting(.pinnedModel, to: model, at: clockNow())
        } catch {
            throw ControlError(message: error.description)
        }
        controls.withLock { $0.pinnedModel = model }
    }

    /// Enables or disables a provider.
    public func setProviderEnabled(_ provider: String, _ enabled: Bool) throws(ControlError) {
        try updateOverrides(provider) { $0.enabled = enabled }
        publishProviderState(provider, enabled: enabled)
    }

    /// Sets a provider's hourly or daily quota in USD.
    public func setQuota(_ provider: String, window: QuotaWindow, usd: Double) throws(ControlError) {
        guard usd.isFinite, usd >= 0 else {
            throw ControlError(message: "a quota must be 0 or more US dollars, got \(usd)")
        }
        try updateOverrides(provider) { overrides in
            switch window {
            case .hourly: overrides.hourlyQuotaUSD = usd
            case .daily: overrides.dailyQuotaUSD = usd
            }
        }
    }

    private func updateOverrides(_ provider: String, _ change: (inout ProviderOverrides) -> Void) throws(ControlError) {
        guard knownProviders.contains(provider) else {
            throw ControlError(message: "unknown provider '\(provider)': expected one of \(knownProviders.sorted().joined(separator: ", "))")
        }
        let updated = controls.withLock { state -> [String: ProviderOverrides] in
            var overrides = state.overrides[provider] ?? ProviderOverrides()
            change(&overrides)
            state.overrides[provider] = overrides
            return state.overrides
        }
        do {
            guard let overrides = updated[provider] else { return }
            try storeForControls.saveProviderOverrides(overrides, for: provider, at: clockNow())
        } catch {
            throw ControlError(message: error.description)
        }
        ledger.setLimits(BudgetLimits(settings: quotaSettings, overrides: updated))
    }
}

extension Gateway {
    /// Applies an operator command from the command bus; returns a confirmation for the status
    /// line, or `nil` when the command is not the Gateway's (test messages, resets, personas go
    /// to the Assistant).
    public func apply(_ command: Command) throws(ControlError) -> String? {
        switch command {
        case .switchModel(let model):
            try pin(model: model)
            return model.map { "pinned to \($0)" } ?? "automatic routing"
        case .setProviderEnabled(let provider, let enabled):
            try setProviderEnabled(provider, enabled)
            return "\(provider) \(enabled ? "enabled" : "disabled")"
        case .setQuota(let provider, let window, let usd):
            try setQuota(provider, window: window, usd: usd)
            return String(format: "%@ %@ quota $%.2f", provider, window.rawValue, usd)
        case .resetConversation, .setPersona:
            return nil
        }
    }
}

extension Gateway {
    /// A provider's circuit now (closed for providers without one).
    public func circuitState(of provider: String) -> CircuitState {
        breakers[provider]?.status.state ?? .closed
    }

    /// The names of the providers the Gateway can call.
    public var providerNames: [String] { Array(knownProviders).sorted() }

    /// The best observed latency (EWMA, ms) among a provider's models, if any was observed.
    public func latency(of provider: String) -> Int? {
        let models = Set(candidates.filter { $0.provider == provider }.map(\.id))
        return health.snapshot.filter { models.contains($0.key) }.map(\.value.latencyMilliseconds).min().map { Int($0) }
    }
}

extension Gateway: OperatorControls {
    public func dailyBudgetLeft(for user: String) -> Double? {
        ledger.headroom(provider: "", user: user).user
    }
}
