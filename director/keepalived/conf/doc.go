// Package conf reads keepalived.conf as users write it: the other
// direction of keepalived.Render, with one grammar for both.
//
// # Syntax
//
// [Parse] and [ParseFile] turn a file into a tree of [Node]s — keyword
// lines and blocks, each with its FILE:LINE ([Pos]) — the way
// keepalived 2.2's parser reads it:
//
//   - comments start with `!` or `#` outside double quotes, at the start of
//     a line or after a value;
//   - a block's `{` may stand on the keyword's line or the next one, and a
//     block may sit on one line (`virtual_ipaddress { 10.0.0.1 }`);
//   - `include GLOB` pulls files in where it stands, relative to the
//     including file's directory; a pattern that matches nothing is
//     reported with its line and parsing goes on;
//   - `$NAME=value` defines a parameter (multi-line with a trailing `\`),
//     `$NAME` (followed by white space) and `${NAME}` are replaced by its
//     value, `${_PWD}`, `${_HASH}` and `${_BANG}` are predefined;
//   - `@ID line` and `@^ID line` are conditional lines: kept when keepalived
//     runs with (without) `-i ID`. [Options.ConfigID] plays `-i`; each
//     conditional line is noted, and the ones that do not apply are
//     skipped, as keepalived skips them.
//
// # Typed view
//
// [Load] (and [LoadFile]) reads the tree into a [Config]: global_defs,
// vrrp_script, vrrp_sync_group, vrrp_instance and virtual_server with
// their real servers and health checks, in keepalived's own terms and
// with keepalived 2.2's defaults filled in and its corrections applied,
// each a Warning (an address service without a protocol line is UDP; a
// port-0 service gets persistence; a DR/TUN real server's port is the
// service's; quorum is at most the total weight), each object keeping its block so
// that any field's line is at hand ([Block.At]). This is what `lvslab
// lint` checks and what an importer turns into a lab file.
//
// Nothing is dropped silently: every keyword the view does not model is
// in [Config.Diagnostics] with its line — unknown to keepalived 2.2,
// known but not modelled (kept verbatim), or out of lvslab's scope
// (SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, BFD_CHECK,
// FILE_CHECK, virtual_server_group, IPv6 addresses, static and virtual
// routes, …). Malformed input — an unbalanced brace, an unknown keyword
// at top level, a bad address or number — is an error ([Errors]), one
// FILE:LINE per problem, all at once.
package conf
