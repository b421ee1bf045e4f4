// name: constraint
// mode: write
// params: none
// The raw baseline's one index: bench nodes are unique by ref, as the service's labels are.
CREATE CONSTRAINT bench_node_ref IF NOT EXISTS FOR (n:BenchNode) REQUIRE n.ref IS UNIQUE
