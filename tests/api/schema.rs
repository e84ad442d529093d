//! The checked-in schema.graphql is what the code builds.

#[test]
fn schema_graphql_matches_the_code() {
    let checked_in = include_str!("../../schema.graphql");
    let built = parley::graphql::sdl();
    assert!(
        checked_in == built,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`"
    );
}
