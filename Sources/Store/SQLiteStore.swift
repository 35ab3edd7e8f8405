import Foundation
package import GRDB
import Synchronization

/// Switchboard's SQLite database: one file in WAL mode, created and migrated when opened.
///
/// Several processes may use the same file at once (the console and `switchboard quota …`, say):
/// WAL lets readers and one writer proceed together and a busy timeout waits out short locks.
public final class SQLiteStore: Sendable {
    /// The database file.
    public let path: String
    package let pool: DatabasePool
    /// An error every read throws, for tests that stand in for a busy or failing database (see
    /// ``failReadsForTesting(_:)``).
    private let readFault = Mutex<StoreError?>(nil)

    /// How long a write waits for another process's lock before failing.
    static let busyTimeout: TimeInterval = 5

    /// Opens (creating the file and its directory when missing) and migrates the database at `path`.
    public init(path: String) throws(StoreError) {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.cannotCreateDirectory, path: path, "cannot create the database directory \(directory) for \(path): \(Self.reason(error)); create it or point SWITCHBOARD_DB elsewhere")
        }
        // SQLite in WAL mode writes the file and creates -wal and -shm files beside it: say so
        // plainly rather than let SQLite fail with "unable to open".
        if FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 {
            throw StoreError(.readOnly, path: path, "the database \(path) is read-only (\(String(cString: strerror(errno)))): Switchboard must write to it; fix its permissions or point SWITCHBOARD_DB elsewhere")
        }
        if access(directory, W_OK) != 0 {
            throw StoreError(.readOnly, path: path, "the directory \(directory) is read-only (\(String(cString: strerror(errno)))): SQLite needs to create \(URL(fileURLWithPath: path).lastPathComponent)-wal and -shm files there; fix its permissions or point SWITCHBOARD_DB elsewhere")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "switchboard"
        // In WAL mode NORMAL still survives a crash of the process (a commit is in the WAL before
        // it returns) and never corrupts the file; it syncs at checkpoints rather than at every
        // commit, which FULL (this system SQLite's default) does — a disk flush per batch of rows.
        // A power cut may lose the last batches, as it may lose rows still being written behind.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            // Processes started together on a new file would each see no schema and each create
            // it ("table already exists"): opening and migrating happen under an exclusive lock,
            // and a second process waits for the first.
            pool = try Self.whileHoldingMigrationLock(of: path) {
                // Conversations are private: a new file is the owner's alone (SQLite gives its
                // -wal and -shm files the database's mode).
                let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                if created >= 0 { close(created) }
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Self.migrator.migrate(pool)
                return pool
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `body` holding an exclusive lock on `<database>.lock` (created 0600 beside it).
    private static func whileHoldingMigrationLock<T>(of path: String, _ body: () throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.cannotOpen, path: path, "cannot create the lock file \(lockPath) beside the database: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }  // closing releases the lock
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw StoreError(.cannotOpen, path: path, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }

    /// Runs `body` in one write transaction, translating database errors.
    package func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `body` on a read-only snapshot, translating database errors.
    package func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        if let fault = readFault.withLock({ $0 }) { throw fault }
        do {
            return try pool.read(body)
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `sql` as it is, for tests that break the database on purpose (a trigger that refuses
    /// writes stands in for a full disk).
    package func executeForTesting(_ sql: String) throws(StoreError) {
        try write { db in try db.execute(sql: sql) }
    }

    /// Makes every read fail with SQLite's `message` (until called with `nil`) while writes go
    /// on, as a database whose reads fail for a while does: the case where a reader that takes a
    /// failed read for "no record yet" would save an empty record over the real one.
    package func failReadsForTesting(_ message: String?) {
        readFault.withLock { $0 = message.map { StoreError(.queryFailed, path: path, "database error in \(path): \($0)") } }
    }

    /// What SQLite's quick check finds wrong with the file (b-trees, pages, constraints): empty
    /// when the database is sound. Reads the whole file once: for start-up and `config check`.
    public func quickCheck() throws(StoreError) -> [String] {
        let lines = try read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(20)") }
        return lines == ["ok"] ? [] : lines
    }

    /// The names of the applied migrations, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Self.migrator.appliedMigrations(db) }
    }

    static func translate(_ error: any Error, path: String) -> StoreError {
        guard let error = error as? DatabaseError else {
            return StoreError(.cannotOpen, path: path, "cannot use the database \(path): \(reason(error))")
        }
        switch error.resultCode {
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError(.readOnly, path: path, "the database \(path) is read-only: Switchboard must write to it and to its directory; fix the permissions or point SWITCHBOARD_DB elsewhere")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError(.corrupt, path: path, "\(path) is not a SQLite database or is damaged; move it aside (nothing will be overwritten) or point SWITCHBOARD_DB elsewhere")
        case .SQLITE_FULL:
            return StoreError(.diskFull, path: path, "the disk holding \(path) is full; free some space, nothing was written")
        case .SQLITE_CANTOPEN:
            return StoreError(.cannotOpen, path: path, "cannot open the database \(path): check that the path is a file Switchboard may create and write")
        default:
            return StoreError(.queryFailed, path: path, "database error in \(path): \(error.message ?? "SQLite code \(error.resultCode.rawValue)")")
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
