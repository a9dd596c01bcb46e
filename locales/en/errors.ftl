## Error titles, by error code (the codes stay English identifiers)

payment-method-not-offered = This shop does not take { $text } payments.
refund-out-of-range = Refund between 0.01 and what is left to refund ({ $max } minor units).
tracking-url-invalid = Give the tracking link as an https:// address.
tracking-only-when-shipping = Tracking goes with the shipped status only.
weight-out-of-range = Give a weight from 0 to { $max } grams.
last-shipping-method = A shop needs at least one shipping method: add another before deleting this one.
no-shipping-there = No shipping method delivers this order to { $country }.

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

## Field messages and details: what the shop refuses (domain::message::ShopText)

field-empty = must not be empty
field-too-short = must be at least { $min } characters
field-too-long = must be at most { $max } characters
field-control-characters = must not contain control characters
field-email-invalid = must be a valid email address such as name@example.com
field-password-nul = must not contain NUL characters
field-password-not-given = must be given (at most 1024 characters)
field-phone-invalid = must be 6 to 15 digits with an optional leading +, e.g. +34 600 123 456
field-category-invalid = must be 1-40 characters of a-z, 0-9 and '-', e.g. home-garden
field-category-unknown = `{ $text }` is not a category name
field-price-out-of-range = must be between 0 and { $max } minor units
field-stock-out-of-range = must be between 0 and { $max }
field-currency-not-sold = this shop sells in { $currency } only
field-photo-url-invalid = must be an absolute http(s) URL or a path under /static/
field-product-id-invalid = must be a product id
field-too-many = must have at most { $max } items
field-repeated = “{ $text }” appears more than once
field-variant-unknown = “{ $text }” is not a variant of this product
field-variant-required = choose one of this product’s variants
field-variant-not-sold = “{ $text }” is no longer sold
field-sku-invalid = must be 1 to { $max } letters, digits, dots, dashes or underscores
field-photo-unknown = “{ $text }” is not one of this product’s photos
field-options-mismatch = must give one value of each option: { $options }
field-quantity-out-of-range = must be a whole number from { $min } to { $max }
field-guest-email-missing = guests give an email for the confirmation
field-reset-link-invalid = this reset link is unknown, already used or expired; ask for a new one
field-search-too-long = must be at most { $max } characters
field-min-above-max = must not be above max_price ({ $min } > { $max })
field-not-a-boolean = `{ $text }` is not true or false
field-sort-unknown = `{ $text }` is not a sort order; use one of: { $orders }
field-negative = must not be negative
field-not-minor-units = `{ $text }` is not a whole number of minor units (cents)
session-invalid = the session token is invalid or expired
session-missing = the session does not exist
session-ended = the session has ended; log in again
admin-only = this needs an admin account
staff-only = this needs a staff or admin account
session-not-found = no live session { $id }
account-not-found = no account has the email { $email }
password-wrong = the password is wrong
admin-cannot-erase = an admin account cannot erase itself: another admin can, or revoke the admin role first (tienda admin revoke)

## Details and field messages of the HTTP layer (http::text::HttpText).
## `reason` arguments are a library's own English words (serde, axum).

detail-invalid-fields = invalid value for { $fields }
detail-internal = something went wrong on our side; quote the error id when reporting it
detail-store-unavailable = the store failed to answer; try again shortly
detail-product-not-found = product { $id } does not exist
detail-account-exists = an account with this { $what } already exists
field-already-registered = is already registered
detail-stock-short = only { $available } of product { $product_id } in stock, { $requested } requested
detail-cart-line-missing = the cart has no line for product { $product_id }
detail-line-ambiguous = the cart has several lines of product { $product_id }: name the variant
detail-sku-taken = the SKU { $sku } is already another product’s
field-cart-full = a cart holds at most { $max } products
detail-cart-empty = the cart is empty
field-address-missing = is required: set it with PUT /cart/address or send it with the checkout
detail-order-not-found = order { $number } does not exist
detail-transition-refused = an order that is { $from } cannot become { $to }
detail-credentials-wrong = the email or the password is wrong
detail-no-route = there is no route { $path }
detail-method-refused = { $path } does not accept { $method }
detail-body-too-large = the request body is too large
detail-too-slow = the request took too long
detail-status-refused = { $reason }
detail-cross-site = cross-site form posts are refused; send the request from this site
detail-no-host = the request has no Host header
detail-body-unreadable = the request body could not be read
detail-body-empty = the request body is empty; a JSON object was expected
detail-json-invalid = the body is not valid JSON: { $reason }
field-unreadable = { $reason }
detail-query-unreadable = Failed to deserialize query string: { $reason }
detail-path-unreadable = { $reason }
detail-send-json = send the body as application/json
detail-send-json-or-form = send the body as application/json or a form
detail-id-malformed = `{ $text }` is not a well-formed id
detail-stock-ids-missing = name the products to follow: ids=ID,ID,…
detail-stock-ids-too-many = follow at most { $max } products at once
detail-stock-streams-full = too many live stock streams are open; try again shortly
detail-limit-out-of-range = limit must be from 1 to { $max }
detail-offset-too-large = offset is too large
detail-too-many-attempts = too many { $scope } attempts; try again in { $seconds } s
detail-no-token = log in first: no session token was sent
detail-metrics-token = `/metrics` needs the bearer token set in metrics.token
detail-neither-id-nor-category = `{ $text }` is neither a product id nor a category name (a-z, 0-9, '-')
detail-idempotency-key-invalid = the Idempotency-Key header must be 1-200 visible ASCII characters
field-email-only-for-guests = only guests give an email: the order goes to the account's
detail-order-status-unknown = `{ $text }` is not an order status (placed, paid, shipped, delivered, cancelled)
detail-order-number-invalid = `{ $text }` is not an order number
detail-order-needs-login = log in first, or open the link from the confirmation email
detail-mail-status-unknown = `{ $text }` is not pending, sent or failed
detail-failed-mail-not-found = no failed mail { $id }
detail-no-static-file = no such static file
field-language-not-offered = must be one of { $languages }
field-token-malformed = is missing or malformed
detail-search-invalid = invalid search
detail-not-an-email = `{ $text }` is not an email address
detail-channel-forbidden = only that customer and staff may open this channel
detail-before-not-message-id = before must be a message id
detail-too-many-sockets = you already have { $count } chat sockets open

## Chat socket error frames

chat-binary-frame = binary frames are not accepted; send JSON text
chat-frame-invalid = expected {"{"}"body": "..."{"}"}: { $reason }
chat-body-invalid = body { $message }
chat-recipient-staff-only = only staff choose a recipient
chat-recipient-not-email = to must be an email address
chat-not-stored = the message could not be stored; try again
chat-missed = this connection fell behind and missed { $count } messages; reload the history

## Product photos

photo-empty = photo { $n } is empty
photo-too-big = photo { $n } is larger than { $max } bytes
photo-unsupported = photo { $n } is not a JPEG, PNG or WebP image
photo-unsupported-kind = photo { $n } is { $kind }, not a JPEG, PNG or WebP image
photo-trailing-data = photo { $n } has data after the end of the image (something is hidden in the file)
photo-corrupt = photo { $n } is truncated or damaged
photo-too-many-pixels = photo { $n } is { $width }×{ $height } pixels; at most { $max } megapixels
photo-too-much-memory = photo { $n } would need too much memory to open
photo-too-many = a product has at most { $max } photos; this would make { $count }
photo-missing = send one or more photos as multipart/form-data parts named `photo`
photo-order-not-permutation = must list each of the product's photos exactly once
photo-not-found = no photo { $id }
photo-used-by-variants = is the photo shown for { $skus }: choose another photo for them first
error-payment_mismatch = Payment does not match the order
error-payment_refused = Payment refused
error-payment_unavailable = Payment provider unavailable
detail-payment-mismatch = The payment does not match order { $number }.
detail-payment-refused = The payment provider refused; its message is in provider_message.
detail-payment-unavailable = The payment provider did not answer. Try again in a moment.
detail-event-seen = Event { $event_id } was handled before.
error-webhook_refused = Webhook refused
detail-stripe-off = This shop takes no card payments.
detail-webhook-refused = The webhook delivery was refused: { $reason }.
detail-shipping-id-invalid = A shipping method id is 1 to 40 lowercase letters, digits and dashes.
detail-shipping-method-missing = No shipping method has the id { $id }.

## Addresses and shipping methods

field-country-invalid = `{ $text }` is not an ISO 3166-1 alpha-2 country code such as ES or US
field-postal-code-invalid = must be letters, digits, spaces and dashes only
field-address-phone-invalid = must be digits, spaces and + - ( ) . only, e.g. +34 600 123 456
field-country-in-two-zones = { $text } is already in the zone “{ $zone }”
field-catch-all-zone-repeated = only one zone may leave its countries empty; “{ $zone }” already does (it covers every country no other zone lists)
field-not-positive = must be greater than 0
field-not-ascending = must be greater than the one before ({ $previous })
field-zone-price-missing = give a price, or weight bands that price by weight
field-not-a-whole-number = must be a whole number (or left empty)
field-day-invalid = `{ $text }` is not a day written YYYY-MM-DD
field-day-out-of-range = must be a day between the years { $min } and { $max }
field-day-before-from = must not be before from ({ $to } < { $from })

## Back office: orders and customers

field-order-number-invalid = `{ $text }` is not an order number (a whole number above 0)
account-disabled = This account is disabled. Write to the shop if you think this is a mistake.
cannot-disable-self = You cannot disable your own account.
cannot-disable-admin = An admin's account cannot be disabled; make them a customer first (tienda admin revoke).
error-account_disabled = Account disabled
## Sales dashboard

stats-range-too-long = a range covers at most { $max } days
## Catalog CSV import

csv-empty = the file is empty: it needs a header line naming the columns
csv-no-rows = the file has a header and no rows
csv-unknown-column = is not a column the import knows; the columns are { $columns }
csv-missing-column = is a required column and the header does not name it
csv-repeated-column = is named twice in the header
csv-not-utf8 = is not UTF-8 text (save the file as CSV UTF-8)
csv-record-too-long = this row is longer than { $max } bytes
csv-field-count = this row has { $count } cells; the header has { $expected }
csv-duplicate-sku = this SKU is on line { $line } already
csv-not-integer = must be a whole number
csv-not-amount = must be an amount like 19.99 (at most two decimals, no sign)
csv-tax-class-unknown = must be standard or reduced
csv-option-incomplete = an option needs both its name and its value
csv-differs = differs from line { $line } of the same product
csv-sku-elsewhere = this SKU belongs to product { $product_id }
csv-no-file = send the CSV file as the body (text/csv) or as a form part named `file`
csv-file-too-big = the file is larger than { $max } bytes
csv-refused = the file has { $count } problems; nothing was imported
