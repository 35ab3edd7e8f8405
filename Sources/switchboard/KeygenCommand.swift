import ArgumentParser
import Core

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new master key for LLM_MASTER_KEY (encrypts stored secrets).")

    @Flag(help: "Print only the key.")
    var quiet = false

    func run() throws {
        let key = MasterKey.generate()
        if quiet {
            print(key)
            return
        }
        print("""
            LLM_MASTER_KEY=\(key)

            Add that line to .env (or the service's environment) and keep a copy somewhere safe:
            secrets stored with `switchboard secrets set` can only be read with this key.
            """)
    }
}
