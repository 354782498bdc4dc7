// Which headers cross sovgw, in each direction. Requests: the client's credentials never go
// upstream (sovgw injects the backend's own key), nor hop-by-hop headers (RFC 9110 §7.6.1, plus any
// named in Connection), nor what sovgw sets itself. Responses: hop-by-hop, framing and cookies stay
// behind. Pure functions over Beast header fields, used by the pipeline on every request.
#pragma once

#include <boost/beast/http/fields.hpp>

namespace sovgw {

void copy_request_headers(const boost::beast::http::fields& from, boost::beast::http::fields& to);
void copy_response_headers(const boost::beast::http::fields& from, boost::beast::http::fields& to);

}  // namespace sovgw
