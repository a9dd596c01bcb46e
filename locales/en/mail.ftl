## Emails to customers

mail-hello = Hello { $name },
mail-signature = — { $shop }
mail-welcome-subject = Welcome to { $shop }, { $name }
mail-welcome-ready = Your { $shop } account for { $email } is ready.
mail-welcome-login = Log in
mail-welcome-login-at = Log in at { $url }/ to start shopping.
mail-welcome-start = to start shopping.
mail-welcome-ignore = If you did not register, you can ignore this email.
mail-order-subject = Your { $shop } order { $number }
mail-order-thanks = Thank you for your order { $number }, placed { $date }.
mail-order-product = Product
mail-order-quantity = Quantity
mail-order-unit-price = Unit price
mail-order-line-total = Line total
mail-order-total = Total: { $total }
mail-order-total-label = Total
mail-order-deliver-to = Delivery address:
mail-order-follow = Follow your order
mail-order-follow-at = Follow your order at { $url }/orders/{ $number }
mail-order-see-any-time = See your order at any time: { $url }
mail-reset-subject = Reset your { $shop } password
mail-reset-asked = Someone asked to reset the password of your { $shop } account. To choose a new one, open this link within one hour:
mail-reset-once = The link works once. If you did not ask for it, ignore this email: your password stays as it is.
mail-notice-order-subject = New order { $number } from { $email }: { $total }
mail-notice-order = Order { $number } was placed at { $shop } on { $date } by { $name } <{ $email }>.
mail-notice-registration-subject = New registration: { $name } <{ $email }>
mail-notice-registration = A new customer registered at { $shop }:
mail-notice-name = Name
mail-notice-email = Email
mail-notice-phone = Phone

## Order mails: totals, how to pay, and what happened since
mail-order-subtotal = Subtotal: { $amount }
mail-order-shipping = Shipping ({ $method }): { $amount }
mail-order-tax-included = Tax included ({ $rate }): { $amount }
mail-order-tax-added = Tax ({ $rate }): { $amount }
mail-order-subtotal-label = Subtotal
mail-order-shipping-label = Shipping ({ $method })
mail-order-tax-included-label = Tax included ({ $rate })
mail-order-tax-added-label = Tax ({ $rate })
mail-order-pay-transfer = Please transfer { $total } to this account; we send your order when it arrives:
mail-order-bank-holder = Account holder: { $value }
mail-order-bank-iban = IBAN: { $value }
mail-order-bank-bic = BIC: { $value }
mail-order-bank-reference = Reference (please quote it): { $value }
mail-order-pay-on-delivery = You pay { $total } in cash when the parcel arrives.
mail-order-pay-card = Pay by card on your order's page if you have not yet; we write again when the payment arrives.
mail-update-subject-payment_received = { $shop }: payment received for order { $number }
mail-update-subject-shipped = { $shop }: order { $number } is on its way
mail-update-subject-refunded = { $shop }: refund for order { $number }
mail-update-subject-cancelled = { $shop }: order { $number } is cancelled
mail-update-payment_received = We received the payment for your order { $number }. We are preparing it now.
mail-update-shipped = Your order { $number } has left our warehouse.
mail-update-refunded = We refunded money on your order { $number }.
mail-update-cancelled = Your order { $number } is cancelled. If you already paid, we are returning the money to you.
mail-update-tracking = Carrier: { $carrier }, tracking number: { $number }
mail-update-refunded-amount = Refunded so far: { $amount } of { $total }.

## Low-stock alert to the shop
mail-low-stock-subject = { $shop }: { $count ->
    [one] a product is running low
   *[other] { $count } products are running low
}
mail-low-stock-intro = An order at { $shop } took { $count ->
    [one] this product
   *[other] these products
} to its low-stock level:
mail-low-stock-left = { $stock } left (alert at { $threshold })
mail-low-stock-edit = Restock:
mail-low-stock-sku = SKU
mail-low-stock-stock = In stock
mail-low-stock-threshold = Alert at
mail-low-stock-once = You get this once until the stock is back above its level.
