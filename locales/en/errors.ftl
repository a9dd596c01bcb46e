## Error titles, by error code (the codes stay English identifiers)

error-malformed_json = Malformed JSON
error-invalid_parameter = Invalid parameter
error-bad_request = Bad request
error-unauthorized = Not logged in
error-invalid_credentials = Wrong email or password
error-forbidden = Not allowed
error-csrf_rejected = Cross-site request refused
error-route_not_found = No such page
error-product_not_found = Product not found
error-order_not_found = Order not found
error-not_found = Not found
error-method_not_allowed = Method not allowed
error-request_timeout = Request timed out
error-already_exists = Already exists
error-insufficient_stock = Not enough stock
error-invalid_transition = Status change not allowed
error-payload_too_large = Request too large
error-unsupported_media_type = Unsupported media type
error-validation_failed = Invalid input
error-cart_empty = The cart is empty
error-rate_limited = Too many attempts
error-internal_error = Internal error
error-unavailable = Service unavailable
