## Layout: header, navigation, footer

nav-search-label = Search products
nav-search-button = Search
nav-catalog = Catalog
nav-cart = Cart
# The header's cart link for screen readers: the badge shows the number.
nav-cart-items = { $count ->
    [0] Cart, empty
    [one] Cart, 1 item
   *[other] Cart, { $count } items
}
nav-skip = Skip to the content
js-failed = Something went wrong.
js-session-ended = Your session ended. Log in again.
nav-orders = Orders
nav-my-orders = My orders
nav-chat = Support chat
nav-admin-products = Products
nav-admin-mail = Mail
nav-admin-config = Config
nav-admin-suffix = (admin)
nav-staff-suffix = (staff)
nav-logout = Log out
nav-login = Log in or register
footer-prices = Prices in { $currency }
language-label = Language
language-switch = Switch

## Page titles

title-welcome = Welcome
title-catalog = Catalog
title-cart = Your cart
title-search = Search
title-search-for = Search: { $text }
title-forgot = Forgot your password?
title-reset = Choose a new password
title-order = Order { $number }
title-orders-all = All orders
title-orders-mine = My orders

## Descriptions for search engines

describe-page = { $title } · { $shop }
describe-category = { $category } at { $shop }: { $names }
describe-catalog = { $shop }: { $categories }

## Home: log in and register

home-heading = Welcome to { $shop }
login-heading = Log in
field-email = Email
field-password = Password
login-button = Log in
forgot-link = Forgot your password?
register-heading = Register
field-name = Full name
field-phone = Phone
field-new-password = Password
register-button = Create account

## Catalog and product cards

catalog-all = All
catalog-empty = No products here yet.
stock-count = { $count } in stock
stock-sold-out-title = Sold out
paging-previous = ← previous
paging-next = next →
product-quantity = Quantity
price-from = from { $price }
product-add = Add to cart

## Search

search-results-for = Results for “{ $text }”
search-all = All products
search-from = From
search-to = to
search-lowest = Lowest price in cents
search-highest = Highest price in cents
search-in-stock = In stock only
search-sort = Sort by
search-apply = Apply
search-categories = Categories
search-total = { $count ->
    [one] { $count } product
   *[other] { $count } products
}
search-nothing = Nothing matches. Try fewer words, or one of these:
search-nothing-for = Nothing matches “{ $text }”. Try fewer words, or one of these:
sort-relevance = Best match
sort-price_asc = Price, low to high
sort-price_desc = Price, high to low
sort-newest = Newest
sort-name = Name

## Cart and checkout

cart-heading = Your cart
cart-product = Product
cart-unit-price = Unit price
cart-quantity = Quantity
cart-line-total = Line total
cart-no-longer-sold = (no longer sold)
cart-unavailable = unavailable
cart-unavailable-stock = unavailable: { $stock } in stock
cart-update = Update
cart-remove = Remove
cart-total = Total
cart-address = Delivery address
cart-save-address = Save address
cart-place-order = Place order
cart-needs-address = Save a delivery address to place the order.
cart-guest-email = Email for the confirmation
cart-place-order-guest = Place order as a guest
cart-guest-or-login = Or
cart-guest-login = log in or register
cart-guest-comes-along = : this cart comes with you.
cart-empty = Your cart is empty.
cart-browse = Browse the catalog

## Orders

order-heading = Order
order-thanks = Thank you! Status:
order-placed-by = Placed { $date } by { $email }.
order-address = Delivery address
order-history = History
order-history-entry = { $status } at { $date } by { $by }
order-mark = Mark { $status }
order-all-mine = All my orders
orders-status = Status
orders-any = any
orders-customer-email = Customer email
orders-filter = Filter
orders-number = Number
orders-date = Date
orders-customer = Customer
orders-total = Total
orders-change-status = Change status
orders-count = { $count ->
    [one] { $count } order.
   *[other] { $count } orders.
}
orders-empty = No orders yet.
status-paid = paid
status-shipped = shipped
status-delivered = delivered
status-cancelled = cancelled

## Password reset

forgot-heading = Forgot your password?
forgot-done = If an account has this email, a reset link is on its way.
forgot-button = Send me a reset link
reset-heading = Choose a new password
reset-password = New password
reset-button = Set password
reset-done = Your password is changed. Log in with the new one.
reset-bad-link = This reset link does not work any more: ask for a new one.

## Error page

error-id = Error id:
error-code = code
error-home = Home
error-catalog = Catalog

## Back office

admin-products-heading = Manage products
admin-new-product = New product
admin-create-product = Create product
admin-all-products = All products ({ $count })
admin-name = Name
admin-category = Category
admin-price = Price
admin-stock = Stock
admin-edit = Edit
admin-delete = Delete
admin-delete-confirm = Delete { $name }?
admin-edit-heading = Edit { $name }
admin-description = Description
admin-price-minor = Price (minor units)
admin-price-minor-example = Price (minor units, e.g. 1999 = 19.99)
admin-photo-url = Photo URL
admin-options = Options
admin-options-hint = Up to three, e.g. Size with the values S, M, L. Leave them empty for a product sold one way. Then make the variants: one per combination you sell.
admin-option-name = Option
admin-option-values = Values, separated by commas
admin-variants-generate = Make the variants
admin-variants = Variants
admin-variant = Variant
admin-variant-only = The product itself
admin-sku = SKU
admin-variant-photo = Photo
admin-variant-no-photo = The product’s
admin-save = Save
admin-photos-heading = Photos
admin-photo-alt = Photo { $n }
admin-photo-up = Move up
admin-photo-down = Move down
admin-photo-delete = Delete photo
admin-photos-none = No photos uploaded yet: the product shows its photo URL.
admin-photos-choose = Add photos
admin-photos-hint = JPEG, PNG or WebP, up to { $mb } MB each; at most { $max } photos per product. The first photo is the one the catalog shows.
admin-photos-upload = Upload
admin-photos-full = This product has { $max } photos, the most it can have: delete one to add another.
admin-mail-heading = Mail outbox
admin-mail-status = Status
admin-mail-any = any
admin-mail-created = Created
admin-mail-kind = Kind
admin-mail-to = To
admin-mail-attempts = Attempts
admin-mail-next = Next attempt
admin-mail-last-error = Last error
admin-mail-retry = Retry
admin-mail-filter = Filter
admin-mail-count = { $count ->
    [one] { $count } message.
   *[other] { $count } messages.
}
config-heading = Configuration
config-profile = Profile
config-backend = store backend
config-masked = Secrets are masked.

## Support chat

chat-older = Load older messages
chat-reply-to = Reply to
chat-everyone = everyone
chat-message = Message
chat-send = Send
chat-my-conversation = My conversation with support
title-chat = Support chat
title-chat-with = Chat with { $channel }
title-admin-products = Manage products
title-admin-mail = Mail outbox
title-config = Configuration

## Live stock (product page and cart)

stock-left = Only { $count } left

## Your account: its data and its deletion

nav-account = My account
title-account = My account
account-heading = My account
account-since = Member since
account-data-heading = Your data
account-data-text = Download everything this shop keeps about you: your profile, delivery addresses, orders, chat messages and logins, as one JSON file.
account-export-link = Download my data
account-erase-heading = Delete my account
account-erase-text = Deleting your account logs you out everywhere and cannot be undone. Your orders stay in the shop's books without your name, email or address; your chat messages are removed.
account-erase-admin = An admin account cannot delete itself: another admin can delete it, or revoke your admin role first.
account-erase-password = Your password, to confirm
account-erase-button = Delete my account for good
account-erased-done = Your account is deleted. Thank you for shopping with us.
order-address-erased = Removed at the customer's request

## Checkout: totals, addresses, shipping and payment
totals-subtotal = Subtotal
totals-shipping = Shipping ({ $method })
totals-tax-included = Tax included ({ $rate })
totals-tax-added = Tax ({ $rate })
address-name = Full name
address-line1 = Street and number
address-line2 = Flat, floor (optional)
address-postal-code = Postal code
address-city = City
address-region = Region (optional)
address-country = Country code (ES, PT, FR…)
address-phone = Phone (optional)
cart-shipping-method = Shipping
cart-no-shipping = No shipping method delivers to this address.
cart-payment-method = Payment
payment-method-bank_transfer = Bank transfer
payment-method-cash_on_delivery = Cash on delivery
payment-method-stripe = Card
payment-status-pending = waiting for payment
payment-status-on_delivery = to pay on delivery
payment-status-failed = the last card payment failed
payment-status-paid = paid
payment-status-voided = not paid (cancelled)
payment-status-partially_refunded = partly refunded
payment-status-refunded = refunded
status-awaiting_payment = awaiting payment
status-refunded = refunded
order-payment = Payment
order-refunded-amount = { $amount } refunded
order-bank-intro = Please transfer { $total } to this account, quoting the reference, so we can send your order:
bank-holder = Account holder
bank-iban = IBAN
bank-bic = BIC
bank-name = Bank
bank-reference = Reference
order-card-intro = Pay { $total } by card to confirm your order.
order-card-pay = Pay { $total }
order-card-paid = Payment accepted. Confirming your order…
order-card-failed = The payment did not go through. Try again or use another card.
order-card-needs-script = Card payment needs JavaScript.
order-tracking = Tracking
order-tracking-follow = Follow the parcel
order-actions = Actions
order-carrier = Carrier
order-tracking-number = Tracking number
order-tracking-url = Tracking link
order-cancel-confirm = Cancel this order? Its stock goes back, and a card payment is refunded.
order-refund = Refund
order-refund-amount = Amount to refund, in cents (at most { $max })
order-refund-confirm = Refund this amount to the customer?

## Admin: shipping methods, tax class and weight
nav-admin-shipping = Shipping
title-admin-shipping = Shipping methods
admin-shipping-heading = Shipping methods
admin-shipping-hint = Checkout offers every method that ships to the customer's country, in this order. A zone with no countries covers every country the method's other zones leave out. Prices are in cents.
admin-shipping-new = New shipping method
admin-shipping-id = Id (lowercase letters, digits, dashes)
admin-shipping-name = Name
admin-shipping-position = Position
admin-shipping-zones = Zones
admin-shipping-zone = Zone
admin-shipping-countries = Countries (codes, comma-separated; empty: all others)
admin-shipping-free-above = Free from subtotal (cents)
admin-shipping-bands = By weight (grams:cents, …)
admin-shipping-zones-hint = Fill the empty row to add a zone; empty a row to remove it.
admin-shipping-save = Save
admin-shipping-create = Create method
admin-tax-class = Tax class
tax-class-standard = Standard rate
tax-class-reduced = Reduced rate
admin-weight = Weight in grams (optional)

## Admin product list: search, low stock, quick edits
admin-products-search = Name or SKU
admin-low-stock-only = Low stock only
admin-low-stock-heading = Low stock ({ $count ->
    [one] one product
   *[other] { $count } products
})
admin-low-stock-hint = Variants at or below their product's low-stock level (the shop's default is { $threshold }), lowest stock first.
admin-low-stock-badge = low (alert at { $threshold })
admin-variant-save = Save
admin-products-showing = Products { $first }–{ $last } of { $total }
admin-low-stock-threshold = Low-stock alert at (units; empty: the shop's default)
admin-audit-heading = Audit log
admin-audit-intro = Every change made by an admin or a staff member: who, when, on what, and the thing before and after. Entries cannot be changed.
admin-audit-actor = Who
admin-audit-action = Action
admin-audit-target = Target
admin-audit-from = From
admin-audit-to = To
admin-audit-filter = Filter
admin-audit-count = { $count ->
    [one] One entry
   *[other] { $count } entries
}
admin-audit-when = When
admin-audit-before = Before
admin-audit-after = After
admin-audit-show = Show
admin-audit-pages = Pages of the audit log
admin-audit-previous = Newer entries
admin-audit-next = Older entries
title-admin-audit = Audit log
nav-admin-audit = Audit log
nav-admin-dashboard = Dashboard
nav-admin-customers = Customers
admin-products-csv-link = Import or export the catalog as CSV

## Back office: orders and customers

title-admin-orders = Orders
title-admin-customers = Customers
title-admin-customer = Customer { $email }
title-packing-slip = Packing slip, order { $number }
admin-paging = Pages
admin-orders-heading = Orders
admin-orders-status = Status
admin-orders-any = any
admin-orders-from = From
admin-orders-to = To
admin-orders-email = Customer email
admin-orders-number = Order number
admin-orders-filter = Filter
admin-orders-date = Date
admin-orders-payment = Payment
admin-orders-total = Total
admin-orders-none = No order matches these filters.
admin-orders-count = { $count ->
    [one] 1 order
   *[other] { $count } orders
}
admin-customers-heading = Customers
admin-customers-search = Email or name
admin-customers-search-button = Search
admin-customers-email = Email
admin-customers-name = Name
admin-customers-role = Role
admin-customers-created = Registered
admin-customers-state = Account
admin-customers-enabled = enabled
admin-customers-disabled = disabled
admin-customers-none = No account matches.
admin-customers-count = { $count ->
    [one] 1 account
   *[other] { $count } accounts
}
role-customer = customer
role-staff = staff
role-admin = admin
admin-customer-account = Account
admin-customer-phone = Phone
admin-customer-spent = Total spent
admin-customer-disabled-since = disabled since { $date }
admin-customer-actions = Actions
admin-customer-disable = Disable the account
admin-customer-disable-confirm = Disable this account? Every session of it ends now and it cannot log in until enabled.
admin-customer-enable = Enable the account
admin-customer-orders = Orders
admin-customer-orders-all = { $count ->
    [one] The 1 order in the order list
   *[other] All { $count } orders in the order list
}
admin-customer-no-orders = No orders yet.
admin-customer-chat = Chat
admin-customer-chat-open = Open their chat channel
admin-customer-no-messages = No chat messages.
order-resend = Send the confirmation email again
order-resend-done = The confirmation email is queued.
order-packing-slip = Packing slip
packing-slip-heading = Packing slip
packing-slip-order = Order
packing-slip-date = Placed
packing-slip-shipping = Shipping
packing-slip-ship-to = Ship to
packing-slip-contents = Contents
packing-slip-item = Item
packing-slip-sku = SKU
packing-slip-options = Options
packing-slip-quantity = Quantity
packing-slip-units = Units
packing-slip-back = Back to the order
## Sales dashboard

title-admin-dashboard = Sales dashboard
dash-heading = Sales dashboard
dash-range = Days shown (UTC)
dash-from = From
dash-to = To
dash-show = Show
dash-range-summary = From { $from } to { $to }, UTC days.
dash-totals = Totals
dash-revenue = Revenue
dash-orders = Orders
dash-aov = Average order value
dash-new-customers = New customers
dash-revenue-chart = Revenue per day
dash-revenue-desc = Bar chart of the revenue of each day from { $from } to { $to }: { $total } in total, { $max } on the best day. The table “Figures per day” lists every day.
dash-orders-chart = Orders per day
dash-orders-desc = Bar chart of the orders of each day from { $from } to { $to }: { $total } in total, { $max } on the busiest day. The table “Figures per day” lists every day.
dash-daily-table = Figures per day
dash-day = Day
dash-by-status = Orders by status
dash-by-status-note = Every order now in each status, whenever it was placed.
dash-status = Status
dash-top-products = Top products
dash-product = Product
dash-units = Units
dash-no-sales = No sales on these days.
dash-low-stock = Low stock now
dash-sku = SKU
dash-stock = In stock
dash-threshold = Alert level
dash-low-stock-all = Every product low on stock
dash-no-low-stock = No product is at or below its alert level.
dash-definitions = Orders count on the UTC day they were placed. Cancelled orders are left out; refunds lower the revenue of the day their order was placed.
## Catalog CSV

admin-csv-heading = Catalog CSV import and export
admin-csv-intro = Import products from a CSV file, one row per variant, matched by SKU: a known SKU updates its variant and product, a new one creates it. Check the file first: nothing changes until you import, and a file with any bad line imports nothing.
admin-csv-file = CSV file (UTF-8, comma or semicolon separated)
admin-csv-check = Check (dry run)
admin-csv-import = Import
admin-csv-report-check = Check report
admin-csv-report-import = Import report
admin-csv-problems = { $count ->
    [one] The file has one problem; nothing was imported.
   *[other] The file has { $count } problems; nothing was imported.
}
admin-csv-problems-caption = Problems by line
admin-csv-line = Line
admin-csv-field = Column
admin-csv-problem = Problem
admin-csv-ok-check = The file is good. Import it to make these changes.
admin-csv-ok-import = The file was imported.
admin-csv-counts-caption = Changes
admin-csv-what = What
admin-csv-count = How many
admin-csv-rows = Rows read
admin-csv-products-created = Products created
admin-csv-products-updated = Products updated
admin-csv-variants-created = Variants created
admin-csv-variants-updated = Variants updated
admin-csv-exports = Exports
admin-csv-export-products = Products (CSV, the import's columns)
admin-csv-export-orders = Orders (CSV)
admin-csv-export-customers = Customers (CSV)
admin-csv-columns = Columns
admin-csv-columns-hint = Required: sku, name, category, price, stock. Prices are amounts like 19.99; the other columns may be left out (a product keeps what it has).
