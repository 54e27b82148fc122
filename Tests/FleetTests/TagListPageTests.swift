import Testing

@testable import Registry

/// The pieces of the paginated tag list that the loopback registry (distribution 2.8, which sends
/// every tag in one page and no Link header) cannot exercise: reading Link headers and pages.
@Suite("Fleet: tag list pages")
struct TagListPageTests {
    @Test(
        "the rel=next target of a Link header",
        arguments: [
            (#"</v2/a/tags/list?n=2&last=b>; rel="next""#, "/v2/a/tags/list?n=2&last=b"),
            (#"<https://r.example/v2/a/tags/list?last=b>;rel=next"#, "https://r.example/v2/a/tags/list?last=b"),
            (#"</v2/a/tags/list?first>; rel="prev", </v2/a/tags/list?last=z>; rel="next""#, "/v2/a/tags/list?last=z"),
            (#"</x>; title="a, b"; rel="prev next""#, "/x"),
            (#"</v2/a/tags/list?last=b>; rel="prev""#, nil),
            ("garbage", nil),
            ("", nil),
        ])
    func nextLink(header: String, expected: String?) {
        #expect(RegistrySource.nextLink(header) == expected)
    }

    @Test("a page's tags: null is none, anything but tags is a bad answer")
    func pageTags() throws {
        #expect(
            try RegistrySource.pageTags(Array(#"{"name":"a","tags":["1","v2.0.0"]}"#.utf8), registry: "r", operation: "list") == [
                "1", "v2.0.0",
            ])
        #expect(try RegistrySource.pageTags(Array(#"{"name":"a","tags":null}"#.utf8), registry: "r", operation: "list") == [])
        for body in [#"{"tags":["ok","\u001b[2J"]}"#, #"{"tags":"1"}"#, "[]", #"{"tags":[1]}"#, #"{"tags":["-x"]}"#] {
            #expect(throws: RegistryError.self) { try RegistrySource.pageTags(Array(body.utf8), registry: "r", operation: "list") }
        }
    }
}
