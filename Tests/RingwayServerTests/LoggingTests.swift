import Logging
import RingwayJSON
import RingwayServer
import Testing

/// Log lines: the JSON format, request ids, and no query strings (they may carry tokens).
@Suite(.timeLimit(.minutes(1)))
struct LoggingTests {
    @Test func jsonLinesCarryRequestIdsAndNeverTheQuery() async throws {
        try await withServer(logFormat: .json) { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/healthz?token=secret-token-value")
            #expect(response.status == 200)
            await client.close()

            let lines = server.log.lines
            #expect(!lines.isEmpty)
            var requests: [JSONObject] = []
            for line in lines {
                #expect(!line.contains("secret-token-value"))
                let object = try #require(try JSONReader.parse(line).objectValue, "not a JSON object: \(line)")
                #expect(object["ts"]?.stringValue?.hasSuffix("Z") == true)
                #expect(object["level"]?.stringValue != nil)
                #expect(object["logger"] == "ringwayd")
                if object["msg"] == "request" { requests.append(object) }
            }
            let request = try #require(requests.first)
            #expect(request["path"] == "/healthz")
            #expect(request["method"] == "GET")
            #expect(request["status"] == "200")
            #expect(request["request_id"]?.stringValue == response.header("X-Request-Id"))
            #expect(request["connection"] != nil)
            #expect(request["peer"]?.stringValue?.hasPrefix("127.0.0.1:") == true)
        }
    }

    @Test func connectionsAreSpreadOverTheLoops() async throws {
        try await withServer(logFormat: .json) { server in
            for _ in 0..<4 {
                let client = try await server.connect()
                #expect(try await client.request(.get, "/healthz").status == 200)
                await client.close()
            }
            var loops: Set<String> = []
            for line in server.log.lines {
                let object = try #require(try JSONReader.parse(line).objectValue)
                if object["msg"] == "request", let loop = object["loop"]?.stringValue { loops.insert(loop) }
            }
            // The test server runs two loops; connections are handed to them in turn.
            #expect(loops == ["0", "1"])
        }
    }

    @Test func textLinesAreReadable() async throws {
        let output = LogOutput.memory()
        var logger = RingwayLogHandler.logger(level: .info, format: .text, output: output)
        logger[metadataKey: "connection"] = "7"
        logger.info("request", metadata: ["path": "/healthz", "note": "two words"])
        logger.debug("not shown at info")
        let lines = output.lines
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.contains(" info ringwayd: request connection=7 note=\"two words\" path=/healthz"))
    }

    @Test func jsonMetadataCannotOverwriteTheFixedMembers() throws {
        let output = LogOutput.memory()
        let logger = RingwayLogHandler.logger(level: .info, format: .json, output: output)
        logger.warning("careful", metadata: ["msg": "spoofed", "list": ["a", "b"]])
        let line = try #require(output.lines.first)
        let object = try #require(try JSONReader.parse(line).objectValue)
        #expect(object["msg"] == "careful")
        #expect(object["meta_msg"] == "spoofed")
        #expect(object["list"] == ["a", "b"])
        #expect(object["level"] == "warning")
    }
}
