import ArgumentParser
import Core
import Foundation
import Gateway

/// Operator controls from the command line; a running bot or console picks them up within seconds.
struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Enable or disable a provider (persisted; running processes follow within seconds).",
        subcommands: [Enable.self, Disable.self])

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let the router use a provider again.")
        @Argument(help: "The provider's name.") var name: String
        func run() async throws { try ControlRunner.apply("Provider \(name) enabled.") { (gateway: Gateway) throws(ControlError) in try gateway.setProviderEnabled(name.lowercased(), true) } }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep the router away from a provider.")
        @Argument(help: "The provider's name.") var name: String
        func run() async throws { try ControlRunner.apply("Provider \(name) disabled.") { (gateway: Gateway) throws(ControlError) in try gateway.setProviderEnabled(name.lowercased(), false) } }
    }
}

struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Set a provider's hourly and/or daily spend limit in USD (persisted).")

    @Argument(help: "The provider's name.") var name: String
    @Option(help: "USD per UTC hour.") var hourly: Double?
    @Option(help: "USD per UTC day.") var daily: Double?

    func validate() throws {
        guard hourly != nil || daily != nil else { throw ValidationError("give --hourly, --daily or both") }
    }

    func run() async throws {
        try ControlRunner.apply("Quota of \(name) set:" + (hourly.map { String(format: " $%.2f an hour", $0) } ?? "") + (daily.map { String(format: " $%.2f a day", $0) } ?? "") + ".") { (gateway: Gateway) throws(ControlError) in
            if let hourly { try gateway.setQuota(name.lowercased(), window: .hourly, usd: hourly) }
            if let daily { try gateway.setQuota(name.lowercased(), window: .daily, usd: daily) }
        }
    }
}

struct PinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Pin every request to a model, or `auto` to let the router choose again (persisted).")

    @Argument(help: "A model id from `switchboard models`, or auto.") var model: String

    func run() async throws {
        let target = model.lowercased() == "auto" ? nil : model
        try ControlRunner.apply(target.map { "Requests are pinned to \($0)." } ?? "Requests are routed automatically.") { (gateway: Gateway) throws(ControlError) in try gateway.pin(model: target) }
    }
}

enum ControlRunner {
    static func apply(_ done: String, _ change: (Gateway) throws(ControlError) -> Void) throws {
        let loaded = LoadedConfiguration.load()
        bootstrapLogging(loaded.settings, floor: .error)
        let runtime: Runtime
        do {
            runtime = try Runtime.start(loaded)
        } catch {
            throw CleanExit.failure(error.message)
        }
        do {
            try change(runtime.gateway)
        } catch {
            throw CleanExit.failure(error.message)
        }
        print(done)
    }
}
